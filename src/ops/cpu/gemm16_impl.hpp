#pragma once
// Kernels for 16-bit (bfloat16 / float16) weights with float32 accumulation (gemm16.hpp), written
// once over the level's vector Vec<L> (core/isa/vec.hpp) and built per level by the isa_kernels
// files. The scalar level runs the plain loops at the end (no vector of its own here).
#include <cstdint>

#include "core/isa/vec.hpp"
#include "transformers/core/dtype.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace transformers::ops::detail {
namespace {

template <KernelLevel L>
struct Gemm16Kernel {
using V = isa::Vec<L>;
using VT = typename V::T;
static constexpr int kW = V::kWidth;
static float to_f32(uint16_t h, bool bf16) { return bf16 ? bf16_to_float(h) : fp16_to_float(h); }
template <bool kBf16>
static VT load_w(const uint16_t* p) {
  if constexpr (kBf16) return V::load_bf16(p);
  else return V::load_f16(p);
}

// Four weight rows against up to four x rows: each weight vector load feeds M FMAs, each x load 4.
template <bool kBf16, int kM>
static void rows4(const float* x, int64_t K, const uint16_t* w, int64_t ldw, const float* bias, float* y, int64_t ldy,
           int64_t n) {
  VT acc[kM][4];
  for (int m = 0; m < kM; ++m)
    for (int r = 0; r < 4; ++r) acc[m][r] = V::zero();
  const uint16_t* w0 = w + n * ldw;
  int64_t k = 0;
  for (; k + kW <= K; k += kW) {
    const VT a0 = load_w<kBf16>(w0 + k), a1 = load_w<kBf16>(w0 + ldw + k);
    const VT a2 = load_w<kBf16>(w0 + 2 * ldw + k), a3 = load_w<kBf16>(w0 + 3 * ldw + k);
    for (int m = 0; m < kM; ++m) {
      const VT xv = V::load(x + m * K + k);
      acc[m][0] = V::fma(a0, xv, acc[m][0]);
      acc[m][1] = V::fma(a1, xv, acc[m][1]);
      acc[m][2] = V::fma(a2, xv, acc[m][2]);
      acc[m][3] = V::fma(a3, xv, acc[m][3]);
    }
  }
  for (int m = 0; m < kM; ++m)
    for (int r = 0; r < 4; ++r) {
      float s = V::hsum(acc[m][r]);
      for (int64_t kk = k; kk < K; ++kk) s += x[m * K + kk] * to_f32(w0[r * ldw + kk], kBf16);
      y[m * ldy + n + r] = bias ? s + bias[n + r] : s;
    }
}

template <bool kBf16>
static void row1(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, const float* bias, float* y,
          int64_t ldy, int64_t n) {
  const uint16_t* wr = w + n * ldw;
  for (int64_t m = 0; m < M; ++m) {
    VT acc = V::zero();
    int64_t k = 0;
    for (; k + kW <= K; k += kW) acc = V::fma(load_w<kBf16>(wr + k), V::load(x + m * K + k), acc);
    float s = V::hsum(acc);
    for (; k < K; ++k) s += x[m * K + k] * to_f32(wr[k], kBf16);
    y[m * ldy + n] = bias ? s + bias[n] : s;
  }
}

template <bool kBf16>
static void run(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, const float* bias, float* y,
         int64_t ldy, int64_t n0, int64_t n1) {
  int64_t n = n0;
  for (; n + 4 <= n1; n += 4) {
    int64_t m = 0;
    for (; m + 4 <= M; m += 4) rows4<kBf16, 4>(x + m * K, K, w, ldw, bias, y + m * ldy, ldy, n);
    switch (M - m) {
      case 3: rows4<kBf16, 3>(x + m * K, K, w, ldw, bias, y + m * ldy, ldy, n); break;
      case 2: rows4<kBf16, 2>(x + m * K, K, w, ldw, bias, y + m * ldy, ldy, n); break;
      case 1: rows4<kBf16, 1>(x + m * K, K, w, ldw, bias, y + m * ldy, ldy, n); break;
      default: break;
    }
  }
  for (; n < n1; ++n) row1<kBf16>(x, M, K, w, ldw, bias, y, ldy, n);
}

static void gemv16(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, bool is_bf16,
                   const float* bias, float* y, int64_t ldy, int64_t n0, int64_t n1) {
  if constexpr (L == KernelLevel::Scalar) {
    for (int64_t n = n0; n < n1; ++n) {
      const uint16_t* wr = w + n * ldw;
      for (int64_t m = 0; m < M; ++m) {
        const float* xr = x + m * K;
        float acc = 0;
        for (int64_t k = 0; k < K; ++k) acc += xr[k] * to_f32(wr[k], is_bf16);
        y[m * ldy + n] = bias ? acc + bias[n] : acc;
      }
    }
  } else if (is_bf16) {
    run<true>(x, M, K, w, ldw, bias, y, ldy, n0, n1);
  } else {
    run<false>(x, M, K, w, ldw, bias, y, ldy, n0, n1);
  }
}

// Conv1D layout [K, N]: y[m][n] = sum_k x[m][k] * w[k][n]. Each step over k loads kC vectors of one
// weight row segment and feeds kM rows of x (broadcast), so the weight streams once per M block.
template <bool kBf16, int kM, int kC>
static void kn_block(const float* x, int64_t K, const uint16_t* w, int64_t ldw, const float* bias, float* y, int64_t ldy,
              int64_t n) {
  VT acc[kM][kC];
  for (int m = 0; m < kM; ++m)
    for (int c = 0; c < kC; ++c) acc[m][c] = V::zero();
  for (int64_t k = 0; k < K; ++k) {
    // rows are ldw apart (often > 4 KiB): the hardware prefetcher does not follow, so fetch ahead
    if (k + 8 < K)
      for (int c = 0; c < kC; c += (64 / (kW * 2) > 0 ? 64 / (kW * 2) : 1))
        _mm_prefetch(reinterpret_cast<const char*>(w + (k + 8) * ldw + n + c * kW), _MM_HINT_T0);
    VT wv[kC];
    for (int c = 0; c < kC; ++c) wv[c] = load_w<kBf16>(w + k * ldw + n + c * kW);
    for (int m = 0; m < kM; ++m) {
      const VT xb = V::set1(x[m * K + k]);
      for (int c = 0; c < kC; ++c) acc[m][c] = V::fma(wv[c], xb, acc[m][c]);
    }
  }
  for (int m = 0; m < kM; ++m)
    for (int c = 0; c < kC; ++c) {
      VT r = acc[m][c];
      if (bias) r = V::add(r, V::load(bias + n + c * kW));
      V::store(y + m * ldy + n + c * kW, r);
    }
}

template <bool kBf16, int kM>
static void kn_rows(const float* x, int64_t K, const uint16_t* w, int64_t ldw, const float* bias, float* y, int64_t ldy,
             int64_t n0, int64_t n1) {
  int64_t n = n0;
  for (; n + 4 * kW <= n1; n += 4 * kW) kn_block<kBf16, kM, 4>(x, K, w, ldw, bias, y, ldy, n);
  for (; n + kW <= n1; n += kW) kn_block<kBf16, kM, 1>(x, K, w, ldw, bias, y, ldy, n);
  for (; n < n1; ++n)
    for (int m = 0; m < kM; ++m) {
      float s = 0.0f;
      for (int64_t k = 0; k < K; ++k) s += x[m * K + k] * to_f32(w[k * ldw + n], kBf16);
      y[m * ldy + n] = bias ? s + bias[n] : s;
    }
}

template <bool kBf16>
static void kn_run(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, const float* bias, float* y,
            int64_t ldy, int64_t n0, int64_t n1) {
  int64_t m = 0;
  for (; m + 4 <= M; m += 4) kn_rows<kBf16, 4>(x + m * K, K, w, ldw, bias, y + m * ldy, ldy, n0, n1);
  switch (M - m) {
    case 3: kn_rows<kBf16, 3>(x + m * K, K, w, ldw, bias, y + m * ldy, ldy, n0, n1); break;
    case 2: kn_rows<kBf16, 2>(x + m * K, K, w, ldw, bias, y + m * ldy, ldy, n0, n1); break;
    case 1: kn_rows<kBf16, 1>(x + m * K, K, w, ldw, bias, y + m * ldy, ldy, n0, n1); break;
    default: break;
  }
}

static void gemv16_kn(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, bool is_bf16,
                      const float* bias, float* y, int64_t ldy, int64_t n0, int64_t n1) {
  if constexpr (L == KernelLevel::Scalar) {
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = n0; n < n1; ++n) {
        float s = 0.0f;
        for (int64_t k = 0; k < K; ++k) s += x[m * K + k] * to_f32(w[k * ldw + n], is_bf16);
        y[m * ldy + n] = bias ? s + bias[n] : s;
      }
  } else if (is_bf16) {
    kn_run<true>(x, M, K, w, ldw, bias, y, ldy, n0, n1);
  } else {
    kn_run<false>(x, M, K, w, ldw, bias, y, ldy, n0, n1);
  }
}
};

}  // namespace
}  // namespace transformers::ops::detail

#pragma GCC diagnostic pop
