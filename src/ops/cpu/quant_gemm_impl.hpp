#pragma once
// The block-quantized GEMM kernels, written once over the level's integer operations QOps<L> and
// built per level by quant_gemm.cpp (scalar), quant_gemm_avx2.cpp, quant_gemm_avx512.cpp and
// quant_gemm_avx512vnni.cpp with their flags (cmake/isa_flags.cmake). Only level files include it.
//
// Every type reduces a 32-element weight block to 32 unsigned bytes u (its quants, 0..127) or, for
// Q8_0, signed bytes, and takes QOps::dot, whose 8 int32 lanes hold the sums of the products of
// elements 4j..4j+3 with the int8 activations. Lanes keep Q6_K's two 16-element scales apart (a
// lane multiply before the float conversion). The offsets of Q4_0 (-8), Q6_K (-32), Q4_1 (+m) and
// Q4_K (-dmin * min) multiply the activation block's sum, accumulated on the side in float32.
#include <cstring>

#include "core/isa/vec.hpp"
#include "transformers/core/quant_blocks.hpp"
#include "ops/cpu/quant_gemm.hpp"

namespace transformers::ops::detail {
namespace {

template <KernelLevel L>
struct QOps;

// Plain loops on GCC's generic vectors (baseline x86-64 code).
template <>
struct QOps<KernelLevel::Scalar> {
  typedef uint8_t U __attribute__((vector_size(32)));
  typedef int32_t I __attribute__((vector_size(32)));
  typedef float F __attribute__((vector_size(32)));
  static U load(const void* p) {
    U v;
    std::memcpy(&v, p, 32);
    return v;
  }
  static U nib_lo_hi(const uint8_t* p) {
    U v;
    for (int j = 0; j < 16; ++j) v[j] = p[j] & 0x0f, v[j + 16] = p[j] >> 4;
    return v;
  }
  static U nib(const uint8_t* p, int h) { return (load(p) >> (4 * h)) & 0x0f; }
  static U bits2(const uint8_t* p, int s) { return (load(p) >> (2 * s)) & 3; }
  static U or_shl4(U lo, U hi) { return lo | (hi << 4); }
  static I dot_us(U u, U s) {
    I r = {};
    for (int j = 0; j < 8; ++j) {
      int32_t acc = 0;
      for (int t = 0; t < 4; ++t) acc += int32_t(u[4 * j + t]) * int32_t(int8_t(s[4 * j + t]));
      r[j] = acc;
    }
    return r;
  }
  static I dot_ss(U w, U s) {
    I r = {};
    for (int j = 0; j < 8; ++j) {
      int32_t acc = 0;
      for (int t = 0; t < 4; ++t) acc += int32_t(int8_t(w[4 * j + t])) * int32_t(int8_t(s[4 * j + t]));
      r[j] = acc;
    }
    return r;
  }
  static I halves(int32_t a, int32_t b) { return I{a, a, a, a, b, b, b, b}; }
  static I mul(I a, I b) { return a * b; }
  static F zero() { return F{}; }
  static F madd(I i, float s, F acc) { return __builtin_convertvector(i, F) * s + acc; }
  static float hsum(F x) { return isa::Vec<KernelLevel::Scalar>::hsum(x); }
  static float half(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return fp16_to_float(h);
  }
  // Four rows' fp16 values at the same offset, as one 4-lane float vector.
  typedef float F4 __attribute__((vector_size(16)));
  static F4 halves4(const uint8_t* const* p, int64_t off) {
    return F4{half(p[0] + off), half(p[1] + off), half(p[2] + off), half(p[3] + off)};
  }
  static F4 mul4(F4 a, float b) { return a * b; }
  // acc + (a * b) * c, unfused: the per-row kernels' offset rounding, so both give the same sums
  static F4 add_scaled4(F4 acc, F4 a, float b, float c) { return acc + (a * b) * c; }
  static F4 zero4() { return F4{}; }
  static F splat(F4 v, int r) { return F{} + v[r]; }
  static F fmadd(I i, F s, F acc) { return __builtin_convertvector(i, F) * s + acc; }
  static void store4(float* p, F4 v) { std::memcpy(p, &v, 16); }
};

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
// AVX2: u8 x s8 pairs by vpmaddubsw (no saturation: |u| <= 128, |s| <= 127), pairs by vpmaddwd.
struct QOpsAvx2 {
  using U = __m256i;
  using I = __m256i;
  using F = __m256;
  static U load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
  static U nib_lo_hi(const uint8_t* p) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i m = _mm_set1_epi8(0x0f);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), m), _mm_and_si128(b, m));
  }
  static U nib(const uint8_t* p, int h) {
    const __m256i v = load(p);
    return _mm256_and_si256(h ? _mm256_srli_epi16(v, 4) : v, _mm256_set1_epi8(0x0f));
  }
  static U bits2(const uint8_t* p, int s) {
    return _mm256_and_si256(_mm256_srl_epi16(load(p), _mm_cvtsi32_si128(2 * s)), _mm256_set1_epi8(3));
  }
  static U or_shl4(U lo, U hi) { return _mm256_or_si256(lo, _mm256_slli_epi16(hi, 4)); }
  static I dot_us(U u, U s) { return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)); }
  static I halves(int32_t a, int32_t b) { return _mm256_setr_epi32(a, a, a, a, b, b, b, b); }
  static I mul(I a, I b) { return _mm256_mullo_epi32(a, b); }
  static F zero() { return _mm256_setzero_ps(); }
  static F madd(I i, float s, F acc) { return _mm256_fmadd_ps(_mm256_cvtepi32_ps(i), _mm256_set1_ps(s), acc); }
  static float hsum(F x) { return isa::Vec<KernelLevel::Avx2>::hsum(x); }
  static float half(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
  }
  // Four rows' fp16 values at the same offset, converted by one vcvtph2ps.
  using F4 = __m128;
  static uint16_t u16(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return h;
  }
  static F4 halves4(const uint8_t* const* p, int64_t off) {
    return _mm_cvtph_ps(_mm_setr_epi16(short(u16(p[0] + off)), short(u16(p[1] + off)), short(u16(p[2] + off)),
                                       short(u16(p[3] + off)), 0, 0, 0, 0));
  }
  static F4 mul4(F4 a, float b) { return _mm_mul_ps(a, _mm_set1_ps(b)); }
  // acc + (a * b) * c, unfused: the per-row kernels' offset rounding, so both give the same sums
  static F4 add_scaled4(F4 acc, F4 a, float b, float c) {
    return _mm_add_ps(acc, _mm_mul_ps(_mm_mul_ps(a, _mm_set1_ps(b)), _mm_set1_ps(c)));
  }
  static F4 zero4() { return _mm_setzero_ps(); }
  static F splat(F4 v, int r) { return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(v), _mm256_set1_epi32(r)); }
  static F fmadd(I i, F s, F acc) { return _mm256_fmadd_ps(_mm256_cvtepi32_ps(i), s, acc); }
  static void store4(float* p, F4 v) { _mm_storeu_ps(p, v); }
};
template <>
struct QOps<KernelLevel::Avx2> : QOpsAvx2 {
  // signed x signed: |w| as unsigned, the sign moved onto the activation
  static I dot_ss(U w, U s) { return dot_us(_mm256_sign_epi8(w, w), _mm256_sign_epi8(s, w)); }
};
// AVX-512 (F/BW/VL/DQ): the same 256-bit operations, EVEX-encoded by the level's flags.
template <>
struct QOps<KernelLevel::Avx512> : QOps<KernelLevel::Avx2> {};
#endif

#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
// AVX-512 VNNI: vpdpbusd does the four u8 x s8 products and their int32 sum in one instruction.
template <>
struct QOps<KernelLevel::Avx512Vnni> : QOpsAvx2 {
  static I dot_us(U u, U s) { return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s); }
  static I dot_ss(U w, U s) { return dot_us(_mm256_sign_epi8(w, w), _mm256_sign_epi8(s, w)); }
};
#endif

constexpr int64_t QK = 32;

// One output: the dot product of one weight row with activation row m, per type.
template <KernelLevel L>
float row_q8_0(const uint8_t* w, const QuantizedRows& x, int64_t m) {
  using O = QOps<L>;
  const int64_t nb = x.K / QK;
  const int8_t* xq = x.q.data() + m * x.K;
  const float* xd = x.d.data() + m * nb;
  typename O::F acc = O::zero();
  for (int64_t b = 0; b < nb; ++b, w += 34)
    acc = O::madd(O::dot_ss(O::load(w + 2), O::load(xq + b * QK)), O::half(w) * xd[b], acc);
  return O::hsum(acc);
}

// Q4_0: w = d * (q - 8); Q4_1: w = d * q + m.
template <KernelLevel L, bool kMin>
float row_q4(const uint8_t* w, const QuantizedRows& x, int64_t m) {
  using O = QOps<L>;
  constexpr int64_t bytes = kMin ? 20 : 18, qoff = kMin ? 4 : 2;
  const int64_t nb = x.K / QK;
  const int8_t* xq = x.q.data() + m * x.K;
  const float* xd = x.d.data() + m * nb;
  const int32_t* xs = x.sum.data() + m * nb;
  typename O::F acc = O::zero();
  float off = 0;
  for (int64_t b = 0; b < nb; ++b, w += bytes) {
    const float s = O::half(w) * xd[b];
    acc = O::madd(O::dot_us(O::nib_lo_hi(w + qoff), O::load(xq + b * QK)), s, acc);
    if constexpr (kMin) off += (O::half(w + 2) * xd[b]) * float(xs[b]);
    else off += s * float(xs[b]);
  }
  return kMin ? O::hsum(acc) + off : O::hsum(acc) - 8.0f * off;
}

// Q4_K: super-blocks of 256 = 8 sub-blocks of 32 with 6-bit scales and mins; w = d*sc*q - dmin*mn.
template <KernelLevel L>
float row_q4_k(const uint8_t* w, const QuantizedRows& x, int64_t m) {
  using O = QOps<L>;
  const int64_t nb = x.K / QK;
  const int8_t* xq = x.q.data() + m * x.K;
  const float* xd = x.d.data() + m * nb;
  const int32_t* xs = x.sum.data() + m * nb;
  typename O::F acc = O::zero();
  float off = 0;
  for (int64_t sb = 0; sb < x.K / 256; ++sb, w += 144) {
    const float d = O::half(w), dmin = O::half(w + 2);
    const uint8_t* s = w + 4;
    uint8_t sc[8], mn[8];
    k_scale_min(s, sc, mn);
    for (int g = 0; g < 8; ++g) {
      const int64_t b = sb * 8 + g;
      acc = O::madd(O::dot_us(O::nib(w + 16 + (g / 2) * 32, g % 2), O::load(xq + b * QK)), (d * float(sc[g])) * xd[b], acc);
      off += ((dmin * float(mn[g])) * xd[b]) * float(xs[b]);
    }
  }
  return O::hsum(acc) - off;
}

// Q6_K: super-blocks of 256, 6-bit quants (low nibbles + 2 high bits), an int8 scale per 16
// elements; w = d * scale * (q - 32).
template <KernelLevel L>
float row_q6_k(const uint8_t* w, const QuantizedRows& x, int64_t m) {
  using O = QOps<L>;
  const int64_t nb = x.K / QK;
  const int8_t* xq = x.q.data() + m * x.K;
  const float* xd = x.d.data() + m * nb;
  const int32_t* xs16 = x.sum16.data() + m * nb * 2;
  typename O::F acc = O::zero();
  float off = 0;
  for (int64_t sb = 0; sb < x.K / 256; ++sb, w += 210) {
    const uint8_t* ql = w;
    const uint8_t* qh = w + 128;
    const int8_t* scales = reinterpret_cast<const int8_t*>(w + 192);
    const float d = O::half(w + 208);
    for (int c = 0; c < 2; ++c)
      for (int j = 0; j < 4; ++j) {
        const int64_t b = sb * 8 + c * 4 + j;
        const int32_t s0 = scales[8 * c + 2 * j], s1 = scales[8 * c + 2 * j + 1];
        const auto q = O::or_shl4(O::nib(ql + c * 64 + (j % 2) * 32, j / 2), O::bits2(qh + c * 32, j));
        const float dd = d * xd[b];
        acc = O::madd(O::mul(O::dot_us(q, O::load(xq + b * QK)), O::halves(s0, s1)), dd, acc);
        off += dd * float(s0 * xs16[2 * b] + s1 * xs16[2 * b + 1]);
      }
  }
  return O::hsum(acc) - 32.0f * off;
}

// Q8_0, Q4_0 and Q4_1 on a tile of 4 weight rows x MT activation rows: each weight block is unpacked
// once per tile and each activation block loaded once for the 4 rows; the 4 rows' fp16 scales (and
// Q4_1's minimums) are converted together, and the offsets accumulate as one 4-lane vector per
// activation row. The 4 x MT accumulators are independent chains, so no FMA waits on the previous
// block's. Rows are reduced once, at the end.
template <KernelLevel L, DType T, int MT>
void tile4(const uint8_t* w, int64_t row_bytes, const QuantizedRows& x, int64_t m0, float* y, int64_t ldy, int64_t n) {
  using O = QOps<L>;
  constexpr int64_t bytes = T == DType::Q4_1 ? 20 : T == DType::Q4_0 ? 18 : 34;
  constexpr int64_t qoff = T == DType::Q4_1 ? 4 : 2;
  const int64_t nb = x.K / QK;
  const uint8_t* wr[4];
  for (int r = 0; r < 4; ++r) wr[r] = w + (n + r) * row_bytes;
  typename O::F acc[4][MT];
  typename O::F4 off[MT];
  for (int i = 0; i < MT; ++i) {
    off[i] = O::zero4();
    for (int r = 0; r < 4; ++r) acc[r][i] = O::zero();
  }
  const int8_t* xq = x.q.data() + m0 * x.K;
  const float* xd = x.d.data() + m0 * nb;
  const int32_t* xs = x.sum.data() + m0 * nb;
  for (int64_t b = 0; b < nb; ++b) {
    const int64_t o = b * bytes;
    const typename O::F4 d4 = O::halves4(wr, o);
    typename O::U u[4];
    for (int r = 0; r < 4; ++r) u[r] = T == DType::Q8_0 ? O::load(wr[r] + o + 2) : O::nib_lo_hi(wr[r] + o + qoff);
    [[maybe_unused]] typename O::F4 m4;
    if constexpr (T == DType::Q4_1) m4 = O::halves4(wr, o + 2);
    for (int i = 0; i < MT; ++i) {
      const typename O::U xv = O::load(xq + i * x.K + b * QK);
      const typename O::F4 s4 = O::mul4(d4, xd[i * nb + b]);
      for (int r = 0; r < 4; ++r)
        acc[r][i] = O::fmadd(T == DType::Q8_0 ? O::dot_ss(u[r], xv) : O::dot_us(u[r], xv), O::splat(s4, r), acc[r][i]);
      // Q4_1: + (m * d_x) * sum(q_x); Q4_0: - 8 * (d_w * d_x) * sum(q_x), rounded as row_q4 rounds them
      if constexpr (T == DType::Q4_1) off[i] = O::add_scaled4(off[i], m4, xd[i * nb + b], float(xs[i * nb + b]));
      if constexpr (T == DType::Q4_0) off[i] = O::add_scaled4(off[i], d4, xd[i * nb + b], float(xs[i * nb + b]));
    }
  }
  for (int i = 0; i < MT; ++i) {
    float o4[4];
    O::store4(o4, off[i]);
    for (int r = 0; r < 4; ++r) {
      const float corr = T == DType::Q4_1 ? o4[r] : T == DType::Q4_0 ? -8.0f * o4[r] : 0.0f;
      y[(m0 + i) * ldy + n + r] = O::hsum(acc[r][i]) + corr;
    }
  }
}

template <KernelLevel L, DType T>
void tiles(const uint8_t* w, int64_t row_bytes, const QuantizedRows& x, float* y, int64_t ldy, int64_t n) {
  int64_t m = 0;
  for (; m + 4 <= x.M; m += 4) tile4<L, T, 4>(w, row_bytes, x, m, y, ldy, n);
  switch (x.M - m) {
    case 3: tile4<L, T, 3>(w, row_bytes, x, m, y, ldy, n); break;
    case 2: tile4<L, T, 2>(w, row_bytes, x, m, y, ldy, n); break;
    case 1: tile4<L, T, 1>(w, row_bytes, x, m, y, ldy, n); break;
    default: break;
  }
}

template <KernelLevel L>
void gemm(DType wt, const uint8_t* w, int64_t row_bytes, const QuantizedRows& x, float* y, int64_t ldy, int64_t n0,
          int64_t n1) {
  float (*row)(const uint8_t*, const QuantizedRows&, int64_t) = nullptr;
  void (*tile)(const uint8_t*, int64_t, const QuantizedRows&, float*, int64_t, int64_t) = nullptr;
  switch (wt) {
    case DType::Q8_0: row = row_q8_0<L>, tile = tiles<L, DType::Q8_0>; break;
    case DType::Q4_0: row = row_q4<L, false>, tile = tiles<L, DType::Q4_0>; break;
    case DType::Q4_1: row = row_q4<L, true>, tile = tiles<L, DType::Q4_1>; break;
    case DType::Q4_K: row = row_q4_k<L>; break;
    case DType::Q6_K: row = row_q6_k<L>; break;
    default: return;  // the front end only passes supported types
  }
  int64_t n = n0;
  if (tile)
    for (; n + 4 <= n1; n += 4) tile(w, row_bytes, x, y, ldy, n);
  // Each weight row is read once from memory and stays in L1 for the M activation rows.
  for (; n < n1; ++n) {
    const uint8_t* wr = w + n * row_bytes;
    if (n + 1 < n1) _mm_prefetch(reinterpret_cast<const char*>(wr + row_bytes), _MM_HINT_T0);
    for (int64_t m = 0; m < x.M; ++m) y[m * ldy + n] = row(wr, x, m);
  }
}

}  // namespace
}  // namespace transformers::ops::detail

#include "ops/cpu/quant_gemm_f32act_impl.hpp"

namespace transformers::ops::detail {

template <KernelLevel L>
const QuantKernels& quant_kernels() {
  static const QuantKernels k{&gemm<L>, &gemm_f32act<L>};
  return k;
}

}  // namespace transformers::ops::detail
