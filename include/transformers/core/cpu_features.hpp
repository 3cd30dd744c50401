#pragma once
// CPU features detected once at start; kernels are picked from these at run time so one binary runs
// on any x86-64 (the ISA-specific kernels live in *_avx512.cpp / *_avx2.cpp files).
#include <string>

namespace transformers {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512dq = false;
  bool avx512bf16 = false;
};

enum class KernelLevel { Scalar, Avx2, Avx512 };

const CpuFeatures& cpu_features();
// The level kernels use: the best the CPU has, lowered by TRANSFORMERS_KERNEL=scalar|avx2|avx512
// (for tests of every path on one machine) or by force_kernel_level().
KernelLevel kernel_level();
void force_kernel_level(KernelLevel level);  // clamps to what the CPU supports
const char* kernel_level_name(KernelLevel level);
std::string cpu_features_string();

}  // namespace transformers
