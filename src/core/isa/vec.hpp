#pragma once
// The float32 vector of each kernel level: Vec<L> names the register type of level L and the few
// operations the kernels need that plain GCC vector arithmetic (+ - * /, comparisons, ?:) does not
// give. A kernel is written once as a template over Vec<L> (or over L) and built per level by the
// level's translation unit, which the build compiles with that level's flags (cmake/isa_flags.cmake).
//
// A specialisation exists only where the including file's flags allow it: Vec<Avx2> needs
// -mavx2 -mfma -mf16c, Vec<Avx512> the AVX-512 F/BW/VL/DQ flags. Vec<Scalar> is an 8-lane GCC
// generic vector that baseline x86-64 code runs (the compiler lowers it to SSE2 pairs).
//
// Arithmetic written with operators is never fused (the build is ISO C++, -ffp-contract=off);
// fma() is the fused multiply-add. Kernels keep whichever their results were tuned and tested with.
//
// Everything here has internal linkage (an anonymous namespace): the same inline function built with
// two levels' flags must not become one weak symbol the linker could pick for the wrong CPU.
#include <cstdint>
#include <cstring>

#include "transformers/core/cpu_features.hpp"
#include "transformers/core/dtype.hpp"

#include <immintrin.h>  // every level's file may use the SSE ones (_mm_prefetch); the rest per level

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
// GCC 12's _mm512_cvtph_ps / _mm512_cvtepu16_epi32 / masked 16-bit loads start from an undefined
// register that -Wmaybe-uninitialized flags at every inlining site; the values are fully defined.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace transformers::isa {
namespace {

template <KernelLevel L>
struct Vec;

template <>
struct Vec<KernelLevel::Scalar> {
  static constexpr int kWidth = 8;
  typedef float T __attribute__((vector_size(32)));
  typedef int32_t I __attribute__((vector_size(32)));
  static T zero() { return T{}; }
  static T set1(float f) { return T{} + f; }
  static T load(const float* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
  }
  static void store(float* p, T v) { std::memcpy(p, &v, sizeof(T)); }
  // Lanes of 16-bit floats widened exactly (no F16C at this level: the core's scalar conversion).
  static T load_bf16(const uint16_t* p) {
    typedef uint16_t H __attribute__((vector_size(16), aligned(2)));
    typedef uint32_t U __attribute__((vector_size(32)));
    const U w = __builtin_convertvector(*reinterpret_cast<const H*>(p), U) << 16;
    return (T)w;
  }
  static T load_f16(const uint16_t* p) {
    float f[kWidth];
    for (int l = 0; l < kWidth; ++l) f[l] = fp16_to_float(p[l]);
    return load(f);
  }
  // Sum of the lanes as a tree of halves: (l0 + l4) ... then (s0 + s2) + (s1 + s3), the order the
  // AVX2 and AVX-512 levels use too.
  static float hsum(T x) {
    typedef float T4 __attribute__((vector_size(16)));
    T4 lo, hi;
    std::memcpy(&lo, &x, 16);
    std::memcpy(&hi, reinterpret_cast<const char*>(&x) + 16, 16);
    const T4 s = lo + hi;
    return (s[0] + s[2]) + (s[1] + s[3]);
  }
};

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
template <>
struct Vec<KernelLevel::Avx2> {
  static constexpr int kWidth = 8;
  using T = __m256;
  using I = __v8si;
  static T zero() { return _mm256_setzero_ps(); }
  static T set1(float f) { return _mm256_set1_ps(f); }
  static T broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static T load_aligned(const float* p) { return _mm256_load_ps(p); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static float hsum(T v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
  // Lane mask for the first n (clamped to [0, 8]) lanes.
  static __m256i lanes(int64_t n) {
    const int c = n < 0 ? 0 : n > 8 ? 8 : int(n);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  // The first n floats (rest zero) / store of the first n lanes.
  static T load_n(const float* p, int64_t n) { return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lanes(n)); }
  static void store_n(float* p, T v, int64_t n) {
    if (n >= 8) _mm256_storeu_ps(p, v);
    else _mm256_maskstore_ps(p, lanes(n), v);
  }
  static __m128i load_16bit(const uint16_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
  static __m128i load_16bit_n(const uint16_t* p, int64_t n) {
    if (n >= 8) return load_16bit(p);
    uint16_t tmp[8] = {};  // no 16-bit masked load in AVX2: copy the valid part
    if (n > 0) std::memcpy(tmp, p, size_t(n) * 2);
    return load_16bit(tmp);
  }
  static T widen_bf16(__m128i h) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)); }
  static T widen_f16(__m128i h) { return _mm256_cvtph_ps(h); }
  static T load_bf16(const uint16_t* p) { return widen_bf16(load_16bit(p)); }
  static T load_f16(const uint16_t* p) { return widen_f16(load_16bit(p)); }
  static T load_bf16_n(const uint16_t* p, int64_t n) { return widen_bf16(load_16bit_n(p, n)); }
  static T load_f16_n(const uint16_t* p, int64_t n) { return widen_f16(load_16bit_n(p, n)); }
  // Narrowing stores, bit-identical to the core's float_to_bf16 / float_to_fp16 (round to nearest
  // even; every NaN -> bf16 0xffff like torch).
  static void store_bf16(uint16_t* p, T x) {
    const __m256i u = _mm256_castps_si256(x);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), lsb)), 16);
    r = _mm256_blendv_epi8(r, _mm256_set1_epi32(0xffff), _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_UNORD_Q)));
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(packed));
  }
  static void store_f16(uint16_t* p, T x) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
  }
  // In-register transpose of an 8 x 8 block: r[i] holds row i; afterwards r[c] holds column c.
  static void transpose(T r[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    // per 128-bit lane L: u0 = column 4L+0 of rows 0..3, u1 = 4L+1, ...; u4..u7 rows 4..7
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
};
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
template <>
struct Vec<KernelLevel::Avx512> {
  static constexpr int kWidth = 16;
  using T = __m512;
  using I = __v16si;
  static T zero() { return _mm512_setzero_ps(); }
  static T set1(float f) { return _mm512_set1_ps(f); }
  static T broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static T load_aligned(const float* p) { return _mm512_load_ps(p); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static float hsum(T v) { return _mm512_reduce_add_ps(v); }
  static __mmask16 lanes(int64_t n) {
    return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n > 0 ? n : 0)) - 1u);
  }
  static T load_n(const float* p, int64_t n) { return _mm512_maskz_loadu_ps(lanes(n), p); }
  static void store_n(float* p, T v, int64_t n) { _mm512_mask_storeu_ps(p, lanes(n), v); }
  static __m256i load_16bit(const uint16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static __m256i load_16bit_n(const uint16_t* p, int64_t n) { return _mm256_maskz_loadu_epi16(lanes(n), p); }
  static T widen_bf16(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }
  static T widen_f16(__m256i h) { return _mm512_cvtph_ps(h); }
  static T load_bf16(const uint16_t* p) { return widen_bf16(load_16bit(p)); }
  static T load_f16(const uint16_t* p) { return widen_f16(load_16bit(p)); }
  static T load_bf16_n(const uint16_t* p, int64_t n) { return widen_bf16(load_16bit_n(p, n)); }
  static T load_f16_n(const uint16_t* p, int64_t n) { return widen_f16(load_16bit_n(p, n)); }
  static void store_bf16(uint16_t* p, T x) {
    const __m512i u = _mm512_castps_si512(x);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), lsb)), 16);
    r = _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), r, _mm512_set1_epi32(0xffff));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(r));
  }
  static void store_f16(uint16_t* p, T x) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
  }
  // In-register transpose of a 16 x 16 block: r[i] holds row i; afterwards r[c] holds column c.
  static void transpose(T r[16]) {
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
};
#endif

}  // namespace
}  // namespace transformers::isa

#pragma GCC diagnostic pop
