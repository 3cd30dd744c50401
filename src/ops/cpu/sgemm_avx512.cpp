// AVX-512 float32 GEMM (Goto/BLIS structure) and few-row GEMV; only called when kernel_level()
// is Avx512 (see sgemm.cpp).
//
// GEMM (driver in sgemm_driver.inc, shared with the AVX2 level): A is packed once per call into
// MR-row strips ([strip][k][MR], shared by the threads); the threads then claim column chunks of C. A chunk packs its KC x NC block
// of B ([strip][k][NR], in L2, 16-bit B widened here) and runs the micro-kernel over every MR strip
// of A (a strip, MR x KC floats, stays in L1 while the B strips of the chunk stream from L2).
// The micro-kernel holds an MR x NR tile of C in MR*NR/16 zmm accumulators and does, per k, NR/16
// vector loads of B, MR broadcasts of A and MR*NR/16 FMAs.
// Edges: packed panels are zero-padded to MR / NR, and the write-back is masked.
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <thread>

#include "ops/cpu/sgemm.hpp"
#include "ops/cpu/ab_switch.hpp"
#include "transformers/core/parallel.hpp"

// GCC 12's _mm512_cvtepu16_epi32 / _mm256_maskz_loadu_epi16 expand through an uninitialised
// dummy operand and warn at every inlining site; the values are fully defined.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace transformers::ops::detail {

namespace {

// 8 x 48: 24 accumulators + 3 B vectors of the 32 zmm registers; per k 3 vector loads and 8
// broadcasts feed 24 FMAs. Chosen over 14 x 32, 12 x 32 and 6 x 64 by best-of-40 timings on this
// machine (single thread: 8 x 48 ~119 GFLOP/s on 128x768x768 vs 106 for 14 x 32), and because 8
// rows and 48 columns divide the model shapes (M = 128 / 512 tokens, N = 768 / 2304 / 3072) so no
// padded tile is computed. KC = 192: the A strip (6 KiB) and one B strip (36 KiB) fit the 48 KiB L1.
constexpr int kMR = 8;
constexpr int kNV = 3;
constexpr int kNR = 16 * kNV;
constexpr int64_t kKC = 192;
// NC = 192 columns per task: the chunk's packed B (144 KiB) stays in L2, and several tasks per
// thread let a thread that lost its core to another process be helped by the other (the shared
// packed A is only re-read from L2/L3 per chunk, negligible next to the chunk's FMAs).
constexpr int64_t kChunkStrips = 192 / kNR;
constexpr int64_t kApackFloats = int64_t(1) << 20;  // packed A per M block (4 MiB, L3)
constexpr int64_t kSerialMacs = int64_t(1) << 20;   // below: one thread (the pool's wake-up costs more)

inline __mmask16 lanes(int64_t n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << std::max<int64_t>(n, 0)) - 1u); }

// 16 consecutive elements (masked, zero-filled) of a float32 / bf16 / f16 array, widened to float32.
template <BKind kB>
inline __m512 load16(const void* base, int64_t idx, __mmask16 m) {
  if constexpr (kB == BKind::F32) {
    return _mm512_maskz_loadu_ps(m, static_cast<const float*>(base) + idx);
  } else {
    const __m256i h = _mm256_maskz_loadu_epi16(m, static_cast<const uint16_t*>(base) + idx);
    if constexpr (kB == BKind::BF16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    else return _mm512_cvtph_ps(h);
  }
}

// In-register transpose of a 16 x 16 block: r[i] holds row i; afterwards r[c] holds column c.
inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  // u[4g + c]: per 128-bit lane L, column 4L + c of rows 4g .. 4g+3
  __m512 u[16];
  for (int g = 0; g < 4; ++g) {
    const __m512 a = t[4 * g], b = t[4 * g + 1], c = t[4 * g + 2], d = t[4 * g + 3];
    u[4 * g + 0] = _mm512_shuffle_ps(a, c, _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * g + 1] = _mm512_shuffle_ps(a, c, _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * g + 2] = _mm512_shuffle_ps(b, d, _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * g + 3] = _mm512_shuffle_ps(b, d, _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int c = 0; c < 4; ++c) {
    const __m512 a0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88), a1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xdd);
    const __m512 b0 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88), b1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xdd);
    r[c] = _mm512_shuffle_f32x4(a0, b0, 0x88);
    r[c + 8] = _mm512_shuffle_f32x4(a0, b0, 0xdd);
    r[c + 4] = _mm512_shuffle_f32x4(a1, b1, 0x88);
    r[c + 12] = _mm512_shuffle_f32x4(a1, b1, 0xdd);
  }
}

// Packs `rows` (<= 16) source rows that are contiguous along k (row i at src + i*ld) for k in
// [k0, k0+kc) into dst[k * R + i] (i < 16 under store_mask; rows past `rows` are zeros).
template <BKind kB>
void pack_transposed(const void* src, int64_t ld, int rows, int64_t k0, int64_t kc, float* dst, int R, __mmask16 store_mask) {
  __m512 r[16];
  for (int64_t kb = 0; kb < kc; kb += 16) {
    const int64_t kk = std::min<int64_t>(16, kc - kb);
    const __mmask16 lm = lanes(kk);
    for (int i = 0; i < 16; ++i) r[i] = i < rows ? load16<kB>(src, i * ld + k0 + kb, lm) : _mm512_setzero_ps();
    transpose16(r);
    for (int c = 0; c < kk; ++c) _mm512_mask_storeu_ps(dst + (kb + c) * R, store_mask, r[c]);
  }
}

// Packs a source contiguous along the packed dimension (element (k, j) at src + k*ld + j, j < cols)
// into dst[k * R + j], zero-padding j in [cols, R).
template <BKind kB>
void pack_copy(const void* src, int64_t ld, int64_t cols, int64_t k0, int64_t kc, float* dst, int R) {
  for (int64_t k = 0; k < kc; ++k)
    for (int j = 0; j < R; j += 16) {
      const __m512 v = load16<kB>(src, (k0 + k) * ld + j, lanes(std::min<int64_t>(cols, R) - j));
      _mm512_mask_storeu_ps(dst + k * R + j, lanes(R - j), v);
    }
}

// A strip: rows [m0, m0+mr) of A, all of K, into dst[k * kMR + i].
void pack_a_strip(const GemmOperand& A, int64_t m0, int mr, int64_t K, float* dst) {
  const float* a = static_cast<const float*>(A.p);
  if (A.cs == 1)
    pack_transposed<BKind::F32>(a + m0 * A.rs, A.rs, mr, 0, K, dst, kMR, lanes(kMR));
  else
    pack_copy<BKind::F32>(a + m0, A.cs, mr, 0, K, dst, kMR);
}

// B strip: columns [n0, n0+nr) of B, k in [k0, k0+kc), into dst[k * kNR + j].
template <BKind kB>
void pack_b_strip(const GemmOperand& B, int64_t n0, int nr, int64_t k0, int64_t kc, float* dst) {
  const int64_t es = kB == BKind::F32 ? 4 : 2;
  const char* b = static_cast<const char*>(B.p);
  if (B.cs == 1) {
    pack_copy<kB>(b + n0 * es, B.rs, nr, k0, kc, dst, kNR);
  } else {  // B.rs == 1: column n is contiguous along k (the nn.Linear weight row)
    for (int g = 0; g < kNV; ++g)
      pack_transposed<kB>(b + (n0 + 16 * g) * B.cs * es, B.cs, std::clamp(nr - 16 * g, 0, 16), k0, kc, dst + 16 * g, kNR,
                          0xffff);
  }
}

// C tile [mr x nr] (+)= packed A strip [kc][kMR] . packed B strip [kc][kNR] (+ bias).
void micro_kernel(int64_t kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc, int mr, int nr,
                  const float* bias, bool add_c) {
  __m512 acc[kMR][kNV];
#pragma GCC unroll 16
  for (int i = 0; i < kMR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) acc[i][v] = _mm512_setzero_ps();
  for (int i = 0; i < mr; ++i) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k) {
    __m512 bv[kNV];
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) bv[v] = _mm512_load_ps(b + k * kNR + 16 * v);
    _mm_prefetch(reinterpret_cast<const char*>(b + (k + 8) * kNR), _MM_HINT_T0);
#pragma GCC unroll 16
    for (int i = 0; i < kMR; ++i) {
      const __m512 av = _mm512_set1_ps(a[k * kMR + i]);
#pragma GCC unroll 4
      for (int v = 0; v < kNV; ++v) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
    }
  }
  if (mr == kMR && nr == kNR) {
#pragma GCC unroll 16
    for (int i = 0; i < kMR; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < kNV; ++v) {
        __m512 r = acc[i][v];
        if (bias) r = _mm512_add_ps(r, _mm512_loadu_ps(bias + 16 * v));
        if (add_c) r = _mm512_add_ps(r, _mm512_loadu_ps(c + i * ldc + 16 * v));
        _mm512_storeu_ps(c + i * ldc + 16 * v, r);
      }
    return;
  }
#pragma GCC unroll 16
  for (int i = 0; i < kMR; ++i) {
    if (i >= mr) break;
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) {
      const __mmask16 m = lanes(nr - 16 * v);
      __m512 r = acc[i][v];
      if (bias) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(m, bias + 16 * v));
      if (add_c) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(m, c + i * ldc + 16 * v));
      _mm512_mask_storeu_ps(c + i * ldc + 16 * v, m, r);
    }
  }
}

}  // namespace

#include "ops/cpu/sgemm_driver.inc"

namespace {

// ---- GEMV (few rows): vector vocabulary for sgemv_kernels.inc ----
constexpr int kW = 16;
using VT = __m512;
inline VT zero_v() { return _mm512_setzero_ps(); }
inline VT set1_v(float f) { return _mm512_set1_ps(f); }
inline VT fma_v(VT a, VT b, VT c) { return _mm512_fmadd_ps(a, b, c); }
inline VT add_v(VT a, VT b) { return _mm512_add_ps(a, b); }
inline float hsum(VT v) { return _mm512_reduce_add_ps(v); }
inline VT load_x(const float* p, int64_t n) { return _mm512_maskz_loadu_ps(lanes(n), p); }
inline void store_x(float* p, VT v, int64_t n) { _mm512_mask_storeu_ps(p, lanes(n), v); }
template <BKind kB>
inline VT load_w(const void* base, int64_t idx, int64_t n) {
  return load16<kB>(base, idx, lanes(n));
}

}  // namespace

#include "ops/cpu/sgemv_kernels.inc"

#define SGEMM_LEVEL_NAME(base) base##_avx512
#include "ops/cpu/sgemm_dispatch.inc"
#undef SGEMM_LEVEL_NAME

}  // namespace transformers::ops::detail
