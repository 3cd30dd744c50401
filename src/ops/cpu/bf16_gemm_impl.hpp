#pragma once
// The vdpbf16ps kernels (bf16_gemm.hpp), built only by bf16_gemm_avx512bf16.cpp (AVX-512 BF16 flags).
// One micro-kernel: kMR rows of x against one packed strip of 48 columns, 3 x kMR float32
// accumulators, each k pair a broadcast dword of x (two bf16) into vdpbf16ps with three 64-byte
// loads of B. Every accumulator lane runs over k from 0 to K in order, so an output's bits are
// bf16_dot_model's (no split-K, no reordering) whatever the blocking or the thread count.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <type_traits>

#include "ops/cpu/bf16_gemm.hpp"
#include "transformers/core/parallel.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace transformers::ops::detail {
namespace {

struct Bf16Dot {
  static constexpr int kMR = 8;  // 24 accumulators + 3 B vectors + 1 broadcast of the 32 zmm

  // float32 lanes rounded to bf16 as Tensor::to does (round to nearest even, every NaN to 0xffff:
  // float_to_bf16's integer formula, so the bits equal a float32 store followed by the cast), each
  // in the low half of its 32-bit lane.
  static __m512i round_bf16(__m512 v) {
    const __m512i u = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    const __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), lsb)), 16);
    return _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), r, _mm512_set1_epi32(0xffff));
  }

  // Out: float (y float32) or uint16_t (y bf16, each output rounded once from its float32 sum).
  // in: the float32 sums of the k before this block (row stride ldin), or nullptr to start from 0;
  // continuing from a stored float32 sum is the same arithmetic as never having stopped.
  template <int kMR, class Out>
  static void micro(const uint16_t* x, int64_t ldx, int64_t K, const uint16_t* strip, const float* bias, Out* y,
                    int64_t ldy, int64_t cols, const float* in, int64_t ldin) {
    __m512 acc[kMR][3];
    for (int c = 0; c < 3; ++c) {
      const int64_t left = cols - 16 * c;
      const __mmask16 mask = left >= 16 ? __mmask16(0xffff) : left <= 0 ? __mmask16(0) : __mmask16((1u << left) - 1);
      for (int m = 0; m < kMR; ++m)
        acc[m][c] = in ? _mm512_maskz_loadu_ps(mask, in + m * ldin + 16 * c) : _mm512_setzero_ps();
    }
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
        if constexpr (std::is_same_v<Out, float>) _mm512_mask_storeu_ps(y + m * ldy + 16 * c, mask, r);
        else _mm512_mask_cvtepi32_storeu_epi16(y + m * ldy + 16 * c, mask, round_bf16(r));
      }
    }
  }

  template <class Out>
  static void rows(int64_t mr, const uint16_t* x, int64_t ldx, int64_t K, const uint16_t* strip, const float* bias,
                   Out* y, int64_t ldy, int64_t cols, const float* in, int64_t ldin) {
    switch (mr) {
      case 8: micro<8>(x, ldx, K, strip, bias, y, ldy, cols, in, ldin); break;
      case 7: micro<7>(x, ldx, K, strip, bias, y, ldy, cols, in, ldin); break;
      case 6: micro<6>(x, ldx, K, strip, bias, y, ldy, cols, in, ldin); break;
      case 5: micro<5>(x, ldx, K, strip, bias, y, ldy, cols, in, ldin); break;
      case 4: micro<4>(x, ldx, K, strip, bias, y, ldy, cols, in, ldin); break;
      case 3: micro<3>(x, ldx, K, strip, bias, y, ldy, cols, in, ldin); break;
      case 2: micro<2>(x, ldx, K, strip, bias, y, ldy, cols, in, ldin); break;
      default: micro<1>(x, ldx, K, strip, bias, y, ldy, cols, in, ldin); break;
    }
  }

  // k per block when K is long. A strip of B over all of K (K * 96 bytes: 4.8 MB for the lm_head
  // backward's grad @ wte, K = 50257) does not stay in L2 while the row blocks sweep it, so every
  // row block re-streamed it; a block of kKC k (384 KB) does, and the k blocks run one after another
  // on float32 partial sums (the same arithmetic in the same k order, so the same bits).
  static constexpr int64_t kKC = 4096;

  // Packed B (of one k block) up to which a product whose A is far the larger operand runs
  // row-block-major (below): the 1 MB L2, which then holds B while blocks of A rows pass through.
  static constexpr int64_t kRowMajorMaxB = int64_t(1) << 20;

  // Tasks are (strip, row block) pairs, strip-major, so a thread's consecutive tasks reuse one strip
  // of B from its cache (GEMM) and few-row products stream each strip of B once (decode). That
  // order reads all of A once per strip: when A is the large operand and B small (lm_head's weight
  // gradient, grad^T @ x: A 50257 x 512, 51 MB, past L3; B 512 x 768) the tasks go row-block-major
  // instead, each block of rows read once and B's strips coming from L2.
  template <class Out>
  static void gemm(int64_t M, int64_t N, int64_t K, const uint16_t* x, int64_t ldx, const uint16_t* packed,
                   const float* bias, Out* y, int64_t ldy) {
    const int64_t strips = (N + kBf16Strip - 1) / kBf16Strip;
    const int64_t strip_elems = (K + 1) / 2 * 2 * kBf16Strip;
    const int64_t blocks = (M + kMR - 1) / kMR;
    // Only products with several row blocks reuse a strip block; below that (decode) the strip is
    // streamed once anyway.
    const int64_t kc = K > 2 * kKC && blocks > 1 ? kKC : K;
    // float32 sums between k blocks: y itself when it is float32, else a scratch of M x N
    std::unique_ptr<float[]> scratch;
    float* part = nullptr;
    int64_t ldp = 0;
    if (kc < K) {
      if constexpr (std::is_same_v<Out, float>) {
        part = y;
        ldp = ldy;
      } else {
        scratch.reset(new float[size_t(M * N)]);
        part = scratch.get();
        ldp = N;
      }
    }
    // ~1 MFLOP per chunk at least, so small products stay on the calling thread. One or two rows
    // (decode) are bound by the weight stream, not FLOPs: there a chunk of ~128 KB of B already
    // outweighs a hand-over, so the k/v projections of a GQA model (3-6 strips) use both threads.
    const int64_t task_flops = 2 * std::min<int64_t>(M, kMR) * kBf16Strip * kc;
    const int64_t min_flops = M <= 2 ? (int64_t(1) << 17) : (int64_t(1) << 20);
    const int64_t grain = std::max<int64_t>(1, min_flops / std::max<int64_t>(task_flops, 1));
    const int64_t b_block_bytes = strips * ((kc + 1) / 2) * 2 * kBf16Strip * 2;
    const bool row_major = b_block_bytes <= kRowMajorMaxB && M * kc * 2 > 4 * b_block_bytes;
    for (int64_t k0 = 0; k0 < K; k0 += kc) {  // kc is even: every block but the last is whole pairs
      const int64_t kb = std::min(kc, K - k0);
      const bool last = k0 + kb == K;
      parallel_for(0, strips * blocks, grain, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t s = row_major ? t % strips : t / blocks, m0 = (row_major ? t / strips : t % blocks) * kMR;
          const int64_t n0 = s * kBf16Strip, mr = std::min<int64_t>(kMR, M - m0), cols = std::min<int64_t>(kBf16Strip, N - n0);
          const uint16_t* xs = x + m0 * ldx + k0;
          const uint16_t* bs = packed + s * strip_elems + k0 * kBf16Strip;  // k0 / 2 pairs of 2 * kBf16Strip
          const float* in = k0 > 0 ? part + m0 * ldp + n0 : nullptr;
          if (last)
            rows<Out>(mr, xs, ldx, kb, bs, bias ? bias + n0 : nullptr, y + m0 * ldy + n0, ldy, cols, in, ldp);
          else
            rows<float>(mr, xs, ldx, kb, bs, nullptr, part + m0 * ldp + n0, ldp, cols, in, ldp);
        }
      });
    }
  }
  static void gemm_packed(int64_t M, int64_t N, int64_t K, const uint16_t* x, int64_t ldx, const uint16_t* packed,
                          const float* bias, float* y, int64_t ldy) {
    gemm<float>(M, N, K, x, ldx, packed, bias, y, ldy);
  }
  static void gemm_packed_bf16(int64_t M, int64_t N, int64_t K, const uint16_t* x, int64_t ldx,
                               const uint16_t* packed, const float* bias, uint16_t* y, int64_t ldy) {
    gemm<uint16_t>(M, N, K, x, ldx, packed, bias, y, ldy);
  }
};

}  // namespace

template <KernelLevel L>
const Bf16DotKernels& bf16_dot_kernels() {
  static_assert(L == KernelLevel::Avx512Bf16, "vdpbf16ps exists only at the avx512bf16 level");
  static constexpr Bf16DotKernels k{&Bf16Dot::gemm_packed, &Bf16Dot::gemm_packed_bf16};
  return k;
}

}  // namespace transformers::ops::detail

#pragma GCC diagnostic pop
