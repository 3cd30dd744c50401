#include "transformers/core/cpu_features.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace transformers {

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = [] {
    CpuFeatures c;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    c.avx2 = __builtin_cpu_supports("avx2");
    c.fma = __builtin_cpu_supports("fma");
    c.avx512f = __builtin_cpu_supports("avx512f");
    c.avx512bw = __builtin_cpu_supports("avx512bw");
    c.avx512vl = __builtin_cpu_supports("avx512vl");
    c.avx512dq = __builtin_cpu_supports("avx512dq");
    c.avx512bf16 = __builtin_cpu_supports("avx512bf16");
    c.avx512vnni = __builtin_cpu_supports("avx512vnni");
    // GCC 12's __builtin_cpu_supports has no "f16c"; every AVX2 CPU shipped with F16C, and we
    // check CPUID leaf 1 ECX bit 29 to be sure.
    unsigned a, b, cc, d;
    __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(cc), "=d"(d) : "a"(1), "c"(0));
    c.f16c = (cc >> 29) & 1u;
#endif
    return c;
  }();
  return f;
}

namespace {
KernelLevel best_level() {
  const auto& f = cpu_features();
  if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.fma && f.f16c) {
    if (f.avx512vnni && f.avx512bf16) return KernelLevel::Avx512Bf16;
    if (f.avx512vnni) return KernelLevel::Avx512Vnni;
    return KernelLevel::Avx512;
  }
  if (f.avx2 && f.fma && f.f16c) return KernelLevel::Avx2;
  return KernelLevel::Scalar;
}
KernelLevel clamp_level(KernelLevel want) { return want < best_level() ? want : best_level(); }

std::atomic<int> g_level{[] {
  KernelLevel l = best_level();
  if (const char* env = std::getenv("TRANSFORMERS_KERNEL")) {
    if (!std::strcmp(env, "scalar")) l = KernelLevel::Scalar;
    else if (!std::strcmp(env, "avx2")) l = clamp_level(KernelLevel::Avx2);
    else if (!std::strcmp(env, "avx512")) l = clamp_level(KernelLevel::Avx512);
    else if (!std::strcmp(env, "avx512vnni")) l = clamp_level(KernelLevel::Avx512Vnni);
    else if (!std::strcmp(env, "avx512bf16")) l = clamp_level(KernelLevel::Avx512Bf16);
  }
  return int(l);
}()};
}  // namespace

KernelLevel kernel_level() { return KernelLevel(g_level.load(std::memory_order_relaxed)); }
void force_kernel_level(KernelLevel level) { g_level.store(int(clamp_level(level))); }

const char* kernel_level_name(KernelLevel level) {
  switch (level) {
    case KernelLevel::Avx512Bf16: return "avx512bf16";
    case KernelLevel::Avx512Vnni: return "avx512vnni";
    case KernelLevel::Avx512: return "avx512";
    case KernelLevel::Avx2: return "avx2";
    default: return "scalar";
  }
}

std::string cpu_features_string() {
  const auto& f = cpu_features();
  std::string s;
  auto add = [&](bool on, const char* n) { if (on) s += (s.empty() ? "" : " ") + std::string(n); };
  add(f.avx2, "avx2"); add(f.fma, "fma"); add(f.f16c, "f16c"); add(f.avx512f, "avx512f");
  add(f.avx512bw, "avx512bw"); add(f.avx512vl, "avx512vl"); add(f.avx512dq, "avx512dq");
  add(f.avx512bf16, "avx512bf16"); add(f.avx512vnni, "avx512vnni");
  return s;
}

}  // namespace transformers
