#pragma once
// The vdpbf16ps kernels (bf16_gemm.hpp), built only by bf16_gemm_avx512bf16.cpp (AVX-512 BF16 flags).
// One micro-kernel: kMR rows of x against one packed strip of 48 columns, 3 x kMR float32
// accumulators, each k pair a broadcast dword of x (two bf16) into vdpbf16ps with three 64-byte
// loads of B. Every accumulator lane runs over k from 0 to K in order, so an output's bits are
// bf16_dot_model's (no split-K, no reordering) whatever the blocking or the thread count.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "ops/cpu/bf16_gemm.hpp"
#include "transformers/core/parallel.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace transformers::ops::detail {
namespace {

struct Bf16Dot {
  static constexpr int kMR = 8;  // 24 accumulators + 3 B vectors + 1 broadcast of the 32 zmm

  // The float32 result's bf16 rounding, bit for bit float_to_bf16 (core/dtype.hpp): round to
  // nearest even, every NaN -> 0xffff; as 32-bit lanes holding the 16-bit results.
  static __m512i round_bf16(__m512 v) {
    const __m512i u = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    const __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), lsb)), 16);
    return _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), r, _mm512_set1_epi32(0xffff));
  }
  static void store(float* y, __mmask16 mask, __m512 v) { _mm512_mask_storeu_ps(y, mask, v); }
  static void store(uint16_t* y, __mmask16 mask, __m512 v) { _mm512_mask_cvtepi32_storeu_epi16(y, mask, round_bf16(v)); }

  // Out: float (y = the float32 sums) or uint16_t (y = their bf16 rounding, written here instead of
  // by a separate pass over a float32 copy: a bf16 model's Linear outputs are bf16).
  template <int kMR, typename Out>
  static void micro(const uint16_t* x, int64_t ldx, int64_t K, const uint16_t* strip, const float* bias, Out* y,
                    int64_t ldy, int64_t cols) {
    __m512 acc[kMR][3];
    for (int m = 0; m < kMR; ++m)
      for (int c = 0; c < 3; ++c) acc[m][c] = _mm512_setzero_ps();
    const int64_t pairs = K / 2;
    const uint16_t* b = strip;
    for (int64_t p = 0; p < pairs; ++p, b += 2 * kBf16Strip) {
      const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b);
      const __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + 32);
      const __m512bh b2 = (__m512bh)_mm512_loadu_si512(b + 64);
      for (int m = 0; m < kMR; ++m) {
        int32_t xv;
        std::memcpy(&xv, x + m * ldx + 2 * p, 4);
        const __m512bh a = (__m512bh)_mm512_set1_epi32(xv);
        acc[m][0] = _mm512_dpbf16_ps(acc[m][0], a, b0);
        acc[m][1] = _mm512_dpbf16_ps(acc[m][1], a, b1);
        acc[m][2] = _mm512_dpbf16_ps(acc[m][2], a, b2);
      }
    }
    if (K & 1) {  // the last pair's high half is 0 in B; x's is set to 0 (not read past the row)
      const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b);
      const __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + 32);
      const __m512bh b2 = (__m512bh)_mm512_loadu_si512(b + 64);
      for (int m = 0; m < kMR; ++m) {
        const __m512bh a = (__m512bh)_mm512_set1_epi32(int32_t(x[m * ldx + K - 1]));
        acc[m][0] = _mm512_dpbf16_ps(acc[m][0], a, b0);
        acc[m][1] = _mm512_dpbf16_ps(acc[m][1], a, b1);
        acc[m][2] = _mm512_dpbf16_ps(acc[m][2], a, b2);
      }
    }
    for (int c = 0; c < 3; ++c) {
      const int64_t left = cols - 16 * c;
      if (left <= 0) break;
      const __mmask16 mask = left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
      const __m512 bv = bias ? _mm512_maskz_loadu_ps(mask, bias + 16 * c) : _mm512_setzero_ps();
      for (int m = 0; m < kMR; ++m) {
        const __m512 r = bias ? _mm512_add_ps(acc[m][c], bv) : acc[m][c];
        store(y + m * ldy + 16 * c, mask, r);
      }
    }
  }

  template <typename Out>
  static void rows(int64_t mr, const uint16_t* x, int64_t ldx, int64_t K, const uint16_t* strip, const float* bias,
                   Out* y, int64_t ldy, int64_t cols) {
    switch (mr) {
      case 8: micro<8>(x, ldx, K, strip, bias, y, ldy, cols); break;
      case 7: micro<7>(x, ldx, K, strip, bias, y, ldy, cols); break;
      case 6: micro<6>(x, ldx, K, strip, bias, y, ldy, cols); break;
      case 5: micro<5>(x, ldx, K, strip, bias, y, ldy, cols); break;
      case 4: micro<4>(x, ldx, K, strip, bias, y, ldy, cols); break;
      case 3: micro<3>(x, ldx, K, strip, bias, y, ldy, cols); break;
      case 2: micro<2>(x, ldx, K, strip, bias, y, ldy, cols); break;
      default: micro<1>(x, ldx, K, strip, bias, y, ldy, cols); break;
    }
  }

  // Tasks are (strip, row block) pairs, strip-major, so a thread's consecutive tasks reuse one strip
  // of B from its cache (GEMM) and few-row products stream each strip of B once (decode).
  template <typename Out>
  static void gemm_packed(int64_t M, int64_t N, int64_t K, const uint16_t* x, int64_t ldx, const uint16_t* packed,
                          const float* bias, Out* y, int64_t ldy) {
    const int64_t strips = (N + kBf16Strip - 1) / kBf16Strip;
    const int64_t strip_elems = (K + 1) / 2 * 2 * kBf16Strip;
    const int64_t blocks = (M + kMR - 1) / kMR;
    // ~1 MFLOP per chunk at least, so small products stay on the calling thread. One or two rows
    // (decode) are bound by the weight stream, not FLOPs: there a chunk of ~128 KB of B already
    // outweighs a hand-over, so the k/v projections of a GQA model (3-6 strips) use both threads.
    const int64_t task_flops = 2 * std::min<int64_t>(M, kMR) * kBf16Strip * K;
    const int64_t min_flops = M <= 2 ? (int64_t(1) << 17) : (int64_t(1) << 20);
    const int64_t grain = std::max<int64_t>(1, min_flops / std::max<int64_t>(task_flops, 1));
    parallel_for(0, strips * blocks, grain, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t s = t / blocks, m0 = (t % blocks) * kMR;
        const int64_t n0 = s * kBf16Strip;
        rows(std::min<int64_t>(kMR, M - m0), x + m0 * ldx, ldx, K, packed + s * strip_elems, bias ? bias + n0 : nullptr,
             y + m0 * ldy + n0, ldy, std::min<int64_t>(kBf16Strip, N - n0));
      }
    });
  }
};

}  // namespace

template <KernelLevel L>
const Bf16DotKernels& bf16_dot_kernels() {
  static_assert(L == KernelLevel::Avx512Bf16, "vdpbf16ps exists only at the avx512bf16 level");
  static constexpr Bf16DotKernels k{&Bf16Dot::gemm_packed<float>, &Bf16Dot::gemm_packed<uint16_t>};
  return k;
}

}  // namespace transformers::ops::detail

#pragma GCC diagnostic pop
