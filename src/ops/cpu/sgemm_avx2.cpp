// AVX2 + FMA float32 GEMM and few-row GEMV: the packing driver of sgemm_driver.inc with a 6 x 16
// micro-kernel (12 ymm accumulators + 2 B vectors + 1 broadcast of the 16 ymm registers), and
// sgemv_kernels.inc on 8-float vectors. Only called when kernel_level() is Avx2 (see sgemm.cpp).
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <thread>

#include "ops/cpu/sgemm.hpp"
#include "ops/cpu/ab_switch.hpp"
#include "transformers/core/parallel.hpp"

namespace transformers::ops::detail {

namespace {

constexpr int kMR = 6;
constexpr int kNV = 2;
constexpr int kNR = 8 * kNV;
constexpr int64_t kKC = 256;                  // B strip 16 KiB, A strip 6 KiB: both in L1
constexpr int64_t kChunkStrips = 192 / kNR;   // 192 columns per task, as at the AVX-512 level
constexpr int64_t kApackFloats = int64_t(1) << 20;
constexpr int64_t kSerialMacs = int64_t(1) << 20;

// Lane mask for the first n (clamped to [0, 8]) of 8 floats.
inline __m256i lanes8(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(std::clamp<int64_t>(n, 0, 8))), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// 8 consecutive elements (the first n, rest zero) of a float32 / bf16 / f16 array, as float32.
template <BKind kB>
inline __m256 load8(const void* base, int64_t idx, int64_t n) {
  if constexpr (kB == BKind::F32) {
    const float* p = static_cast<const float*>(base) + idx;
    return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lanes8(n));
  } else {
    const uint16_t* p = static_cast<const uint16_t*>(base) + idx;
    __m128i h;
    if (n >= 8) {
      h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    } else {  // no 16-bit masked load in AVX2: copy the valid part
      uint16_t tmp[8] = {};
      if (n > 0) std::memcpy(tmp, p, size_t(n) * 2);
      h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tmp));
    }
    if constexpr (kB == BKind::BF16) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    else return _mm256_cvtph_ps(h);
  }
}

inline void store_first(float* p, __m256 v, int n) {
  if (n >= 8) _mm256_storeu_ps(p, v);
  else _mm256_maskstore_ps(p, lanes8(n), v);
}

// In-register transpose of 8 x 8: r[i] holds row i; afterwards r[c] holds column c.
inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  // per 128-bit lane L: u0 = column 4L+0 of rows 0..3, u1 = 4L+1, u2 = 4L+2, u3 = 4L+3; u4..u7 rows 4..7
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// `rows` (<= 8) source rows contiguous along k (row i at src + i*ld), k in [k0, k0+kc), into
// dst[k * R + i] for i < store_n (rows past `rows` are zeros).
template <BKind kB>
void pack_transposed(const void* src, int64_t ld, int rows, int64_t k0, int64_t kc, float* dst, int R, int store_n) {
  __m256 r[8];
  for (int64_t kb = 0; kb < kc; kb += 8) {
    const int64_t kk = std::min<int64_t>(8, kc - kb);
    for (int i = 0; i < 8; ++i) r[i] = i < rows ? load8<kB>(src, i * ld + k0 + kb, kk) : _mm256_setzero_ps();
    transpose8(r);
    for (int c = 0; c < kk; ++c) store_first(dst + (kb + c) * R, r[c], store_n);
  }
}

// Source contiguous along the packed dimension (element (k, j) at src + k*ld + j, j < cols) into
// dst[k * R + j], zero-padding j in [cols, R).
template <BKind kB>
void pack_copy(const void* src, int64_t ld, int64_t cols, int64_t k0, int64_t kc, float* dst, int R) {
  for (int64_t k = 0; k < kc; ++k)
    for (int j = 0; j < R; j += 8)
      store_first(dst + k * R + j, load8<kB>(src, (k0 + k) * ld + j, std::min<int64_t>(cols, R) - j), R - j);
}

void pack_a_strip(const GemmOperand& A, int64_t m0, int mr, int64_t K, float* dst) {
  const float* a = static_cast<const float*>(A.p);
  if (A.cs == 1)
    pack_transposed<BKind::F32>(a + m0 * A.rs, A.rs, mr, 0, K, dst, kMR, kMR);
  else
    pack_copy<BKind::F32>(a + m0, A.cs, mr, 0, K, dst, kMR);
}

template <BKind kB>
void pack_b_strip(const GemmOperand& B, int64_t n0, int nr, int64_t k0, int64_t kc, float* dst) {
  const int64_t es = kB == BKind::F32 ? 4 : 2;
  const char* b = static_cast<const char*>(B.p);
  if (B.cs == 1) {
    pack_copy<kB>(b + n0 * es, B.rs, nr, k0, kc, dst, kNR);
  } else {
    for (int g = 0; g < kNV; ++g)
      pack_transposed<kB>(b + (n0 + 8 * g) * B.cs * es, B.cs, std::clamp(nr - 8 * g, 0, 8), k0, kc, dst + 8 * g, kNR, 8);
  }
}

void micro_kernel(int64_t kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc, int mr, int nr,
                  const float* bias, bool add_c) {
  __m256 acc[kMR][kNV];
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) acc[i][v] = _mm256_setzero_ps();
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k) {
    __m256 bv[kNV];
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) bv[v] = _mm256_load_ps(b + k * kNR + 8 * v);
#pragma GCC unroll 8
    for (int i = 0; i < kMR; ++i) {
      const __m256 av = _mm256_broadcast_ss(a + k * kMR + i);
#pragma GCC unroll 4
      for (int v = 0; v < kNV; ++v) acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i) {
    if (i >= mr) break;
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) {
      const int n = nr - 8 * v;
      if (n <= 0) break;
      __m256 r = acc[i][v];
      if (bias) r = _mm256_add_ps(r, load8<BKind::F32>(bias, 8 * v, n));
      if (add_c) r = _mm256_add_ps(r, load8<BKind::F32>(c + i * ldc, 8 * v, n));
      store_first(c + i * ldc + 8 * v, r, n);
    }
  }
}

}  // namespace

#include "ops/cpu/sgemm_driver.inc"

namespace {

// Vector vocabulary of sgemv_kernels.inc.
constexpr int kW = 8;
using VT = __m256;
inline VT zero_v() { return _mm256_setzero_ps(); }
inline VT set1_v(float f) { return _mm256_set1_ps(f); }
inline VT fma_v(VT a, VT b, VT c) { return _mm256_fmadd_ps(a, b, c); }
inline VT add_v(VT a, VT b) { return _mm256_add_ps(a, b); }
inline float hsum(VT v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
inline VT load_x(const float* p, int64_t n) { return load8<BKind::F32>(p, 0, n); }
inline void store_x(float* p, VT v, int64_t n) { store_first(p, v, int(std::min<int64_t>(n, 8))); }
template <BKind kB>
inline VT load_w(const void* base, int64_t idx, int64_t n) {
  return load8<kB>(base, idx, n);
}

}  // namespace

#include "ops/cpu/sgemv_kernels.inc"

#define SGEMM_LEVEL_NAME(base) base##_avx2
#include "ops/cpu/sgemm_dispatch.inc"
#undef SGEMM_LEVEL_NAME

}  // namespace transformers::ops::detail
