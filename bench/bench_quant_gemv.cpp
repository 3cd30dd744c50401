// Decode-shaped products with GGUF block weights kept quantized (issue 21), alone: ops::linear of
// one activation row (M = 1) against an [N, K] weight of each native type at the shapes of a
// SmolLM2-135M and a Llama-3.2-1B decode step, as bytes of weight read per second and as a fraction
// of the triad bandwidth measured in the same run (bench_ops_peaks.hpp). The weights are random
// blocks (every quant byte pattern is valid; fp16 scales set finite). Each product runs for about
// 0.2 s after a warm-up; the best of 3 such runs is printed. Products whose weight fits in the L2
// caches are marked, their rate is not a memory rate. `lm_head` rows run under
// QuantFloatActivationsGuard (float activations, as the Llama head runs).
//
//   build/bench/bench_quant_gemv [threads] [kernel level name, e.g. avx2]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench_ops_peaks.hpp"
#include "transformers/core/cpu_features.hpp"
#include "transformers/core/dtype.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/ops/matmul.hpp"
#include "transformers/ops/quantized.hpp"

using namespace transformers;

namespace {

Tensor random_blocks(DType dt, int64_t N, int64_t K, std::mt19937& rng) {
  Tensor w = Tensor::empty({N, K}, dt);
  const DTypeTraits& t = dtype_traits(dt);
  auto* p = static_cast<uint8_t*>(w.data_ptr());
  const int64_t bytes = N * K / t.block_elems * t.block_bytes;
  std::uniform_int_distribution<int> byte(0, 255);
  for (int64_t i = 0; i < bytes; ++i) p[i] = uint8_t(byte(rng));
  // every fp16 field of a block set to a small finite value (0x2000 ~ 0.0078), whatever the type
  const uint16_t h = 0x2000;
  for (int64_t b = 0; b < bytes / t.block_bytes; ++b) {
    uint8_t* blk = p + b * t.block_bytes;
    if (dt == DType::Q6_K) {
      std::memcpy(blk + 208, &h, 2);
    } else {
      std::memcpy(blk, &h, 2);
      if (dt == DType::Q4_1 || dt == DType::Q4_K) std::memcpy(blk + 2, &h, 2);
    }
  }
  return w;
}

struct Case {
  const char* model;
  const char* what;
  DType dt;
  int64_t N, K;
  bool head;
};

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  set_num_threads(threads);
  if (argc > 2)
    for (KernelLevel l : {KernelLevel::Scalar, KernelLevel::Avx2, KernelLevel::Avx512, KernelLevel::Avx512Vnni})
      if (std::string(kernel_level_name(l)) == argv[2]) force_kernel_level(l);
  const double triad = benchpeaks::measure_triad_gbs();
  std::printf("threads %d, kernel level %s, triad %.1f GB/s\n", threads, kernel_level_name(kernel_level()), triad);
  const std::vector<Case> cases = {
      {"smollm2", "q_proj/o_proj 576x576", DType::Q4_1, 576, 576, false},
      {"smollm2", "k_proj/v_proj 192x576", DType::Q4_1, 192, 576, false},
      {"smollm2", "gate/up 1536x576", DType::Q4_1, 1536, 576, false},
      {"smollm2", "down 576x1536", DType::Q4_1, 576, 1536, false},
      {"smollm2", "lm_head 49152x576", DType::Q8_0, 49152, 576, true},
      {"llama-1b", "q_proj 2048x2048", DType::Q8_0, 2048, 2048, false},
      {"llama-1b", "gate/up 8192x2048", DType::Q8_0, 8192, 2048, false},
      {"llama-1b", "down 2048x8192", DType::Q8_0, 2048, 8192, false},
      {"llama-1b", "q_proj 2048x2048", DType::Q4_K, 2048, 2048, false},
      {"llama-1b", "gate/up 8192x2048", DType::Q4_K, 8192, 2048, false},
      {"llama-1b", "down 2048x8192", DType::Q6_K, 2048, 8192, false},
      {"llama-1b", "gate/up 8192x2048", DType::Q4_1, 8192, 2048, false},
      {"llama-1b", "lm_head 128256x2048", DType::Q8_0, 128256, 2048, true},
      {"llama-1b", "lm_head 128256x2048", DType::Q6_K, 128256, 2048, true},
  };
  std::mt19937 rng(1);
  std::printf("%-9s %-22s %-5s %9s %10s %8s %7s\n", "model", "product", "type", "MB", "us/call", "GB/s", "triad");
  for (const Case& c : cases) {
    const Tensor w = random_blocks(c.dt, c.N, c.K, rng);
    std::vector<float> xv(size_t(c.K));
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (float& v : xv) v = u(rng);
    const Tensor x = Tensor::from_vector(xv, {1, c.K});
    const double mb = double(c.N * c.K / dtype_traits(c.dt).block_elems * dtype_traits(c.dt).block_bytes) / 1e6;
    double best = 1e30;
    for (int run = 0; run < 4; ++run) {  // run 0 warms up
      int calls = 0;
      const double t0 = benchpeaks::now_s();
      double t = t0;
      while (t - t0 < 0.2) {
        if (c.head) {
          const ops::QuantFloatActivationsGuard g;
          (void)ops::linear(x, w, Tensor());
        } else {
          (void)ops::linear(x, w, Tensor());
        }
        ++calls;
        t = benchpeaks::now_s();
      }
      if (run) best = std::min(best, (t - t0) / calls);
    }
    const double gbs = mb / 1e3 / best;
    std::printf("%-9s %-22s %-5s %9.2f %10.1f %8.1f %6.0f%%%s\n", c.model, c.what, std::string(dtype_name(c.dt)).c_str(), mb, best * 1e6, gbs,
                100 * gbs / triad, mb < 1.5 ? " (in L2)" : "");
  }
}
