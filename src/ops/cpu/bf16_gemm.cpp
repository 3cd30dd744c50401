// Front of the native bf16 kernels (bf16_gemm.hpp): the level table, the A/B switch and the packer.
#include "ops/cpu/bf16_gemm.hpp"

#include <algorithm>
#include <cstring>

#include "core/isa/level_table.hpp"
#include "ops/cpu/ab_switch.hpp"
#include "transformers/core/parallel.hpp"

namespace transformers::ops::detail {

namespace {
const Bf16DotKernels& current_bf16_dot_kernels() {
  static constexpr Bf16DotKernels none{nullptr, nullptr};
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
  const int64_t strips = (N + kBf16Strip - 1) / kBf16Strip, pairs = (K + 1) / 2, full = K / 2;
  const int64_t strip_elems = pairs * 2 * kBf16Strip;
  // The pair of column n at k pair p: one dword, B(2p, n) in the low half.
  auto pair = [&](int64_t p, int64_t n) -> uint32_t {
    const uint32_t lo = b[2 * p * rs + n * cs];
    const uint32_t hi = 2 * p + 1 < K ? b[(2 * p + 1) * rs + n * cs] : 0u;
    return lo | hi << 16;
  };
  parallel_for(0, strips, 1, [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      uint16_t* d = dst + s * strip_elems;
      const int64_t n0 = s * kBf16Strip, cols = std::min<int64_t>(kBf16Strip, N - n0);
      // Blocks of pairs small enough that the block of the strip being written stays in L1; inside,
      // the loop runs along B's unit stride (k for the nn.Linear weight, n for Conv1D's).
      constexpr int64_t kBlock = 64;
      for (int64_t p0 = 0; p0 < pairs; p0 += kBlock) {
        const int64_t p1 = std::min(pairs, p0 + kBlock);
        if (rs == 1) {
          for (int64_t c = 0; c < cols; ++c)
            for (int64_t p = p0; p < p1; ++p) {
              const uint32_t v = p < full ? uint32_t(b[2 * p + (n0 + c) * cs]) | uint32_t(b[2 * p + 1 + (n0 + c) * cs]) << 16
                                          : pair(p, n0 + c);
              std::memcpy(d + (p * kBf16Strip + c) * 2, &v, 4);
            }
        } else if (cs == 1) {
          // Rows of B along n (Conv1D's weight, an activation as B): each k pair interleaves two
          // contiguous runs, a loop the compiler vectorizes (unpack of 16-bit lanes).
          for (int64_t p = p0; p < p1; ++p) {
            const uint16_t* r0 = b + 2 * p * rs + n0;
            uint16_t* o = d + p * kBf16Strip * 2;
            if (2 * p + 1 < K) {
              const uint16_t* r1 = r0 + rs;
              for (int64_t c = 0; c < cols; ++c) {
                o[2 * c] = r0[c];
                o[2 * c + 1] = r1[c];
              }
            } else {
              for (int64_t c = 0; c < cols; ++c) {
                o[2 * c] = r0[c];
                o[2 * c + 1] = 0;
              }
            }
          }
        } else {
          for (int64_t p = p0; p < p1; ++p)
            for (int64_t c = 0; c < cols; ++c) {
              const uint32_t v = pair(p, n0 + c);
              std::memcpy(d + (p * kBf16Strip + c) * 2, &v, 4);
            }
        }
        for (int64_t p = p0; p < p1; ++p)  // the zero columns past N
          std::memset(d + (p * kBf16Strip + cols) * 2, 0, size_t(kBf16Strip - cols) * 4);
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

bool bf16_gemm_packed_bf16(int64_t M, int64_t N, int64_t K, const uint16_t* x, int64_t ldx, const uint16_t* packed,
                           const float* bias, uint16_t* y, int64_t ldy) {
  if (!bf16_dot_available()) return false;
  if (M <= 0 || N <= 0) return true;
  current_bf16_dot_kernels().gemm_packed_bf16(M, N, K, x, ldx, packed, bias, y, ldy);
  return true;
}

}  // namespace transformers::ops::detail
