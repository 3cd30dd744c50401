// avx512 kernels for 16-bit weights with float32 accumulation (only called when kernel_level() allows).
// bfloat16 -> float32 is a 16-bit left shift; float16 uses the F16C conversion.
#include <immintrin.h>

#include <cstring>

#include "ops/cpu/gemm16.hpp"

namespace transformers::ops::detail {

namespace {
constexpr int kW = 16;

inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
inline float hsum(__m512 v) { return _mm512_reduce_add_ps(v); }

template <bool kBf16>
inline __m512 load_w(const uint16_t* p) {
  if constexpr (kBf16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))), 16));
  else return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

inline float to_f32(uint16_t h, bool bf16) {
  if (bf16) {
    uint32_t u = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  return _cvtsh_ss(h);
}

// Four weight rows against up to four x rows: each weight vector load feeds M FMAs, each x load 4.
template <bool kBf16, int kM>
void rows4(const float* x, int64_t K, const uint16_t* w, int64_t ldw, const float* bias, float* y, int64_t ldy,
           int64_t n) {
  __m512 acc[kM][4];
  for (int m = 0; m < kM; ++m)
    for (int r = 0; r < 4; ++r) acc[m][r] = _mm512_setzero_ps();
  const uint16_t* w0 = w + n * ldw;
  int64_t k = 0;
  for (; k + kW <= K; k += kW) {
    const __m512 a0 = load_w<kBf16>(w0 + k), a1 = load_w<kBf16>(w0 + ldw + k);
    const __m512 a2 = load_w<kBf16>(w0 + 2 * ldw + k), a3 = load_w<kBf16>(w0 + 3 * ldw + k);
    for (int m = 0; m < kM; ++m) {
      const __m512 xv = _mm512_loadu_ps(x + m * K + k);
      acc[m][0] = _mm512_fmadd_ps(a0, xv, acc[m][0]);
      acc[m][1] = _mm512_fmadd_ps(a1, xv, acc[m][1]);
      acc[m][2] = _mm512_fmadd_ps(a2, xv, acc[m][2]);
      acc[m][3] = _mm512_fmadd_ps(a3, xv, acc[m][3]);
    }
  }
  for (int m = 0; m < kM; ++m)
    for (int r = 0; r < 4; ++r) {
      float s = hsum(acc[m][r]);
      for (int64_t kk = k; kk < K; ++kk) s += x[m * K + kk] * to_f32(w0[r * ldw + kk], kBf16);
      y[m * ldy + n + r] = bias ? s + bias[n + r] : s;
    }
}

template <bool kBf16>
void row1(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, const float* bias, float* y,
          int64_t ldy, int64_t n) {
  const uint16_t* wr = w + n * ldw;
  for (int64_t m = 0; m < M; ++m) {
    __m512 acc = _mm512_setzero_ps();
    int64_t k = 0;
    for (; k + kW <= K; k += kW) acc = _mm512_fmadd_ps(load_w<kBf16>(wr + k), _mm512_loadu_ps(x + m * K + k), acc);
    float s = hsum(acc);
    for (; k < K; ++k) s += x[m * K + k] * to_f32(wr[k], kBf16);
    y[m * ldy + n] = bias ? s + bias[n] : s;
  }
}

template <bool kBf16>
void run(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, const float* bias, float* y,
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
}  // namespace

void gemv16_avx512(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, bool is_bf16,
                 const float* bias, float* y, int64_t ldy, int64_t n0, int64_t n1) {
  if (is_bf16) run<true>(x, M, K, w, ldw, bias, y, ldy, n0, n1);
  else run<false>(x, M, K, w, ldw, bias, y, ldy, n0, n1);
}


namespace {
using VT = __m512;
inline VT zero_v() { return _mm512_setzero_ps(); }
inline VT set1_v(float f) { return _mm512_set1_ps(f); }
inline VT fma_v(VT a, VT b, VT c) { return _mm512_fmadd_ps(a, b, c); }
inline VT add_v(VT a, VT b) { return _mm512_add_ps(a, b); }
inline VT loadu_v(const float* p) { return _mm512_loadu_ps(p); }
inline void storeu_v(float* p, VT v) { _mm512_storeu_ps(p, v); }
}  // namespace

namespace {
// Conv1D layout [K, N]: y[m][n] = sum_k x[m][k] * w[k][n]. Each step over k loads kC vectors of one
// weight row segment and feeds kM rows of x (broadcast), so the weight streams once per M block.
template <bool kBf16, int kM, int kC>
void kn_block(const float* x, int64_t K, const uint16_t* w, int64_t ldw, const float* bias, float* y, int64_t ldy,
              int64_t n) {
  VT acc[kM][kC];
  for (int m = 0; m < kM; ++m)
    for (int c = 0; c < kC; ++c) acc[m][c] = zero_v();
  for (int64_t k = 0; k < K; ++k) {
    // rows are ldw apart (often > 4 KiB): the hardware prefetcher does not follow, so fetch ahead
    if (k + 8 < K)
      for (int c = 0; c < kC; c += (64 / (kW * 2) > 0 ? 64 / (kW * 2) : 1))
        _mm_prefetch(reinterpret_cast<const char*>(w + (k + 8) * ldw + n + c * kW), _MM_HINT_T0);
    VT wv[kC];
    for (int c = 0; c < kC; ++c) wv[c] = load_w<kBf16>(w + k * ldw + n + c * kW);
    for (int m = 0; m < kM; ++m) {
      const VT xb = set1_v(x[m * K + k]);
      for (int c = 0; c < kC; ++c) acc[m][c] = fma_v(wv[c], xb, acc[m][c]);
    }
  }
  for (int m = 0; m < kM; ++m)
    for (int c = 0; c < kC; ++c) {
      VT r = acc[m][c];
      if (bias) r = add_v(r, loadu_v(bias + n + c * kW));
      storeu_v(y + m * ldy + n + c * kW, r);
    }
}

template <bool kBf16, int kM>
void kn_rows(const float* x, int64_t K, const uint16_t* w, int64_t ldw, const float* bias, float* y, int64_t ldy,
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
void kn_run(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, const float* bias, float* y,
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
}  // namespace

void gemv16_kn_avx512(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, bool is_bf16,
                   const float* bias, float* y, int64_t ldy, int64_t n0, int64_t n1) {
  if (is_bf16) kn_run<true>(x, M, K, w, ldw, bias, y, ldy, n0, n1);
  else kn_run<false>(x, M, K, w, ldw, bias, y, ldy, n0, n1);
}


namespace {
// Split-K Conv1D layout kernel: part[m*N + n] = sum_{k in [k0,k1)} x[m*K + k] * w[k*ldw + n].
// Weight rows are read front to back (a plain stream the prefetcher follows); four rows per step
// so each partial-sum load/store in L1/L2 carries four FMAs.
template <bool kBf16>
void kn_split(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, int64_t N, float* part, int64_t k0,
              int64_t k1) {
  for (int64_t i = 0; i < M * N; ++i) part[i] = 0.0f;
  int64_t k = k0;
  for (; k + 4 <= k1; k += 4) {
    const uint16_t* w0 = w + k * ldw;
    for (int64_t m = 0; m < M; ++m) {
      const VT x0 = set1_v(x[m * K + k]), x1 = set1_v(x[m * K + k + 1]), x2 = set1_v(x[m * K + k + 2]),
               x3 = set1_v(x[m * K + k + 3]);
      float* pm = part + m * N;
      int64_t n = 0;
      for (; n + kW <= N; n += kW) {
        VT a = loadu_v(pm + n);
        a = fma_v(load_w<kBf16>(w0 + n), x0, a);
        a = fma_v(load_w<kBf16>(w0 + ldw + n), x1, a);
        a = fma_v(load_w<kBf16>(w0 + 2 * ldw + n), x2, a);
        a = fma_v(load_w<kBf16>(w0 + 3 * ldw + n), x3, a);
        storeu_v(pm + n, a);
      }
      for (; n < N; ++n)
        for (int r = 0; r < 4; ++r) pm[n] += x[m * K + k + r] * to_f32(w0[r * ldw + n], kBf16);
    }
  }
  for (; k < k1; ++k)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) part[m * N + n] += x[m * K + k] * to_f32(w[k * ldw + n], kBf16);
}
}  // namespace

void gemv16_kn_split_avx512(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, bool is_bf16, int64_t N,
                         float* part, int64_t k0, int64_t k1) {
  if (is_bf16) kn_split<true>(x, M, K, w, ldw, N, part, k0, k1);
  else kn_split<false>(x, M, K, w, ldw, N, part, k0, k1);
}

// kinds: 0 f32->bf16, 1 bf16->f32, 2 f32->f16, 3 f16->f32 (tails: scalar code local to this file).
void cvt_avx512(int kind, const void* src, void* dst, int64_t n) {
  const float* fs = static_cast<const float*>(src);
  const uint16_t* hs = static_cast<const uint16_t*>(src);
  float* fd = static_cast<float*>(dst);
  uint16_t* hd = static_cast<uint16_t*>(dst);
  int64_t i = 0;
  switch (kind) {
    case 0:
      for (; i + 16 <= n; i += 16) {
        const __m512 x = _mm512_loadu_ps(fs + i);
        const __m512i u = _mm512_castps_si512(x);
        const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
        __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), lsb)), 16);
        r = _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), r, _mm512_set1_epi32(0xffff));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(hd + i), _mm512_cvtepi32_epi16(r));
      }
      break;
    case 1:
      for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(fd + i, _mm512_castsi512_ps(_mm512_slli_epi32(
                                     _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(hs + i))), 16)));
      break;
    case 2:
      for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(hd + i), _mm512_cvtps_ph(_mm512_loadu_ps(fs + i), _MM_FROUND_TO_NEAREST_INT));
      break;
    default:
      for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(fd + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(hs + i))));
      break;
  }
  for (; i < n; ++i) {
    switch (kind) {
      case 0: {
        uint32_t u;
        std::memcpy(&u, fs + i, 4);
        hd[i] = (u & 0x7fffffffu) > 0x7f800000u ? uint16_t(0xffff) : uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
        break;
      }
      case 1: fd[i] = to_f32(hs[i], true); break;
      case 2: hd[i] = _cvtss_sh(fs[i], _MM_FROUND_TO_NEAREST_INT); break;
      default: fd[i] = to_f32(hs[i], false); break;
    }
  }
}

}  // namespace transformers::ops::detail
