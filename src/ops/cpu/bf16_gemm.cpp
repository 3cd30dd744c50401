// Front of the native bf16 kernels (bf16_gemm.hpp): the level table, the A/B switch and the packer.
#include "ops/cpu/bf16_gemm.hpp"

#include "core/isa/level_table.hpp"
#include "ops/cpu/ab_switch.hpp"
#include "transformers/core/parallel.hpp"

namespace transformers::ops::detail {

namespace {
const Bf16DotKernels& current_bf16_dot_kernels() {
  static constexpr Bf16DotKernels none{nullptr};
  static const isa::LevelTable<Bf16DotKernels> table{
      {KernelLevel::Scalar, &none},
      {KernelLevel::Avx512Bf16, &bf16_dot_kernels<KernelLevel::Avx512Bf16>()},
  };
  return table.current();
}
}  // namespace

bool bf16_dot_available() {
  static const bool disabled = ab_switch_off("TRANSFORMERS_BF16_DOT");
  return !disabled && current_bf16_dot_kernels().gemm_packed != nullptr;
}

int64_t bf16_packed_b_elems(int64_t K, int64_t N) {
  return (N + kBf16Strip - 1) / kBf16Strip * ((K + 1) / 2) * 2 * kBf16Strip;
}

void bf16_pack_b(int64_t K, int64_t N, const uint16_t* b, int64_t rs, int64_t cs, uint16_t* dst) {
  const int64_t strips = (N + kBf16Strip - 1) / kBf16Strip, pairs = (K + 1) / 2;
  const int64_t strip_elems = pairs * 2 * kBf16Strip;
  parallel_for(0, strips, 1, [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      uint16_t* d = dst + s * strip_elems;
      for (int64_t c = 0; c < kBf16Strip; ++c) {
        const int64_t n = s * kBf16Strip + c;
        // column by column: B's column n is contiguous for the nn.Linear weight (rs == 1)
        for (int64_t k = 0; k < 2 * pairs; ++k)
          d[(k / 2) * 2 * kBf16Strip + 2 * c + (k & 1)] = n < N && k < K ? b[k * rs + n * cs] : uint16_t(0);
      }
    }
  });
}

bool bf16_gemm_packed(int64_t M, int64_t N, int64_t K, const uint16_t* x, int64_t ldx, const uint16_t* packed,
                      const float* bias, float* y, int64_t ldy) {
  if (!bf16_dot_available()) return false;
  if (M <= 0 || N <= 0) return true;
  current_bf16_dot_kernels().gemm_packed(M, N, K, x, ldx, packed, bias, y, ldy);
  return true;
}

}  // namespace transformers::ops::detail
