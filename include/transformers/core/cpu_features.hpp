#pragma once
// CPU features detected once at start; kernels are picked from these at run time so one binary runs
// on any x86-64 (the kernels are templates over the vector type of a level, src/core/isa/vec.hpp,
// built once per level in the files named *_avx2.cpp / *_avx512.cpp, see docs/ARCHITECTURE.md).
#include <cstddef>
#include <cstdint>
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
  bool avx512vnni = false;
};

// The kernel levels, each a superset of the one before. Avx512Vnni (int8 dot products) has no
// kernels of its own yet; Avx512Bf16 has only the bf16 dot-product GEMM (src/ops/cpu/bf16_gemm.hpp):
// both run the Avx512 ones otherwise (src/core/isa/level_table.hpp).
enum class KernelLevel : uint8_t { Scalar, Avx2, Avx512, Avx512Vnni, Avx512Bf16 };
inline constexpr size_t kKernelLevelCount = 5;

const CpuFeatures& cpu_features();
// The level kernels use: the best the CPU has, lowered by TRANSFORMERS_KERNEL=scalar|avx2|avx512
// (for tests of every path on one machine; also avx512vnni|avx512bf16) or by force_kernel_level().
KernelLevel kernel_level();
void force_kernel_level(KernelLevel level);  // clamps to what the CPU supports
const char* kernel_level_name(KernelLevel level);
std::string cpu_features_string();

}  // namespace transformers
