#pragma once
// The Q5_0 / Q5_1 / Q2_K / Q3_K / Q5_K kernels, written once over the level's integer operations
// (QOps<L> of quant_gemm_impl.hpp plus the bit extractions below) and built per level by
// quant_gemm_q235*.cpp. Only level files include it.
//
// As for the other types, every 32-element weight block becomes 32 unsigned bytes u (Q5_*: 0..31,
// Q2_K: 0..3, Q3_K: 0..7, Q5_K: 0..31), whose exact int32 dot product with the int8 activation
// block is scaled once in float32; the types' offsets (Q5_0's -16, Q5_1's +m, Q2_K's and Q5_K's
// mins, Q3_K's -4) multiply the activation block's sum (per 16 elements where the type has a
// scale per 16) and are accumulated on the side. Q2_K and Q3_K have a scale per 16 elements: the
// dot product's 8 lanes hold elements 4j..4j+3, so lanes 0-3 and 4-7 take the two scales by a
// lane multiply before the float conversion, as Q6_K does. Weights are read row by row (each row
// once from memory, reused from L1 for every activation row).
#include "ops/cpu/quant_gemm_impl.hpp"
#include "ops/cpu/quant_gemm_q235.hpp"

namespace transformers::ops::detail {
namespace {

// The level's operations plus the extractions of single high bits these types store apart.
template <KernelLevel L, bool kSimd = L != KernelLevel::Scalar>
struct QBits;

template <KernelLevel L>
struct QBits<L, false> : QOps<L> {
  using U = typename QOps<L>::U;
  // Byte j: 16 when bit j of qh is set (the fifth bit of Q5_0 / Q5_1 element j), else 0.
  static U fifth_bits(uint32_t qh) {
    U v;
    for (int j = 0; j < 32; ++j) v[j] = uint8_t(((qh >> j) & 1u) << 4);
    return v;
  }
  // Byte j: bit s of p[j], moved to bit `to`.
  static U bit_at(const uint8_t* p, int s, int to) { return ((QOps<L>::load(p) >> s) & 1) << to; }
  static U or_(U a, U b) { return a | b; }
};

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
template <KernelLevel L>
struct QBits<L, true> : QOps<L> {
  using U = __m256i;
  // Every byte gets the byte of qh holding its bit (j / 8: bytes 0-15 read qh's bytes 0-1, bytes
  // 16-31 its bytes 2-3; the shuffle stays inside each 128-bit lane, and the broadcast puts all
  // four bytes in both), is masked with its own bit (1 << j % 8) and compared back to it.
  static U fifth_bits(uint32_t qh) {
    const __m256i src = _mm256_shuffle_epi8(
        _mm256_set1_epi32(int(qh)),
        _mm256_setr_epi64x(0, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303));
    const __m256i bit = _mm256_set1_epi64x(int64_t(0x8040201008040201ull));
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(src, bit), bit), _mm256_set1_epi8(16));
  }
  // Byte j: bit s of p[j], moved to bit `to` (16-bit shifts: the masked bit never crosses a byte).
  static U bit_at(const uint8_t* p, int s, int to) {
    const __m256i b = _mm256_and_si256(_mm256_srl_epi16(QOps<L>::load(p), _mm_cvtsi32_si128(s)), _mm256_set1_epi8(1));
    return _mm256_sll_epi16(b, _mm_cvtsi32_si128(to));
  }
  static U or_(U a, U b) { return _mm256_or_si256(a, b); }
};
#endif

uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Q5_0: fp16 d, 32 fifth bits, 16 bytes of nibbles; w = d * (q - 16). Q5_1: fp16 d, fp16 m, then
// the same; w = d * q + m.
template <KernelLevel L, bool kMin>
float row_q5(const uint8_t* w, const QuantizedRows& x, int64_t m) {
  using O = QBits<L>;
  constexpr int64_t bytes = kMin ? 24 : 22, hoff = kMin ? 4 : 2;
  const int64_t nb = x.K / QK;
  const int8_t* xq = x.q.data() + m * x.K;
  const float* xd = x.d.data() + m * nb;
  const int32_t* xs = x.sum.data() + m * nb;
  typename O::F acc = O::zero();
  float off = 0;
  for (int64_t b = 0; b < nb; ++b, w += bytes) {
    const float s = O::half(w) * xd[b];
    const auto u = O::or_(O::nib_lo_hi(w + hoff + 4), O::fifth_bits(load_u32(w + hoff)));
    acc = O::madd(O::dot_us(u, O::load(xq + b * QK)), s, acc);
    if constexpr (kMin) off += (O::half(w + 2) * xd[b]) * float(xs[b]);
    else off += s * float(xs[b]);
  }
  return kMin ? O::hsum(acc) + off : O::hsum(acc) - 16.0f * off;
}

// Q2_K (84 bytes per 256): 16 scale bytes (low nibble scale, high nibble min, per 16 elements), 64
// bytes of 2-bit quants (sub-block g: bits 2(g%4) of bytes (g/4)*32 ..+31), fp16 d, fp16 dmin;
// w = d * sc * q - dmin * mn.
template <KernelLevel L>
float row_q2_k(const uint8_t* w, const QuantizedRows& x, int64_t m) {
  using O = QBits<L>;
  const int64_t nb = x.K / QK;
  const int8_t* xq = x.q.data() + m * x.K;
  const float* xd = x.d.data() + m * nb;
  const int32_t* xs16 = x.sum16.data() + m * nb * 2;
  typename O::F acc = O::zero();
  float off = 0;
  for (int64_t sb = 0; sb < x.K / 256; ++sb, w += 84) {
    const float d = O::half(w + 80), dmin = O::half(w + 82);
    for (int g = 0; g < 8; ++g) {
      const int64_t b = sb * 8 + g;
      const uint8_t c0 = w[2 * g], c1 = w[2 * g + 1];
      const auto q = O::bits2(w + 16 + (g / 4) * 32, g % 4);
      acc = O::madd(O::mul(O::dot_us(q, O::load(xq + b * QK)), O::halves(c0 & 0x0f, c1 & 0x0f)), d * xd[b], acc);
      off += (dmin * xd[b]) * float((c0 >> 4) * xs16[2 * b] + (c1 >> 4) * xs16[2 * b + 1]);
    }
  }
  return O::hsum(acc) - off;
}

// Q3_K (110 bytes per 256): 32 bytes of high-bit mask (sub-block g: bit g of bytes 0..31), 64 bytes
// of 2-bit quants as Q2_K's, 12 bytes of sixteen 6-bit scales (biased by 32), fp16 d;
// w = d * (sc - 32) * (low + 4 * high - 4).
template <KernelLevel L>
float row_q3_k(const uint8_t* w, const QuantizedRows& x, int64_t m) {
  using O = QBits<L>;
  const int64_t nb = x.K / QK;
  const int8_t* xq = x.q.data() + m * x.K;
  const float* xd = x.d.data() + m * nb;
  const int32_t* xs16 = x.sum16.data() + m * nb * 2;
  typename O::F acc = O::zero();
  float off = 0;
  for (int64_t sb = 0; sb < x.K / 256; ++sb, w += 110) {
    const uint8_t* sc = w + 96;
    const float d = O::half(w + 108);
    int32_t s[16];
    // scale k: low 4 bits from byte k (k < 8) or byte k - 8's high nibble, high 2 bits from byte
    // 8 + k % 4 at bit 2 * (k / 4)
    for (int k = 0; k < 16; ++k)
      s[k] = int32_t(((k < 8 ? sc[k] : sc[k - 8] >> 4) & 0x0f) | (((sc[8 + k % 4] >> (2 * (k / 4))) & 3) << 4)) - 32;
    for (int g = 0; g < 8; ++g) {
      const int64_t b = sb * 8 + g;
      const auto q = O::or_(O::bits2(w + 32 + (g / 4) * 32, g % 4), O::bit_at(w, g, 2));
      const float dd = d * xd[b];
      acc = O::madd(O::mul(O::dot_us(q, O::load(xq + b * QK)), O::halves(s[2 * g], s[2 * g + 1])), dd, acc);
      off += dd * float(s[2 * g] * xs16[2 * b] + s[2 * g + 1] * xs16[2 * b + 1]);
    }
  }
  return O::hsum(acc) - 4.0f * off;
}

// Q5_K (176 bytes per 256): Q4_K's fp16 d, dmin and 12 bytes of 6-bit scales and mins, then 32
// bytes of fifth bits (sub-block g: bit g of bytes 0..31), then Q4_K's nibbles; w = d*sc*q - dmin*mn.
template <KernelLevel L>
float row_q5_k(const uint8_t* w, const QuantizedRows& x, int64_t m) {
  using O = QBits<L>;
  const int64_t nb = x.K / QK;
  const int8_t* xq = x.q.data() + m * x.K;
  const float* xd = x.d.data() + m * nb;
  const int32_t* xs = x.sum.data() + m * nb;
  typename O::F acc = O::zero();
  float off = 0;
  for (int64_t sb = 0; sb < x.K / 256; ++sb, w += 176) {
    const float d = O::half(w), dmin = O::half(w + 2);
    const uint8_t* s = w + 4;
    uint8_t sc[8], mn[8];
    k_scale_min(s, sc, mn);
    for (int g = 0; g < 8; ++g) {
      const int64_t b = sb * 8 + g;
      const auto q = O::or_(O::nib(w + 48 + (g / 2) * 32, g % 2), O::bit_at(w + 16, g, 4));
      acc = O::madd(O::dot_us(q, O::load(xq + b * QK)), (d * float(sc[g])) * xd[b], acc);
      off += ((dmin * float(mn[g])) * xd[b]) * float(xs[b]);
    }
  }
  return O::hsum(acc) - off;
}

template <KernelLevel L>
void gemm_q235(DType wt, const uint8_t* w, int64_t row_bytes, const QuantizedRows& x, float* y, int64_t ldy,
               int64_t n0, int64_t n1) {
  float (*row)(const uint8_t*, const QuantizedRows&, int64_t) = nullptr;
  switch (wt) {
    case DType::Q5_0: row = row_q5<L, false>; break;
    case DType::Q5_1: row = row_q5<L, true>; break;
    case DType::Q2_K: row = row_q2_k<L>; break;
    case DType::Q3_K: row = row_q3_k<L>; break;
    case DType::Q5_K: row = row_q5_k<L>; break;
    default: return;  // the front end only passes supported types
  }
  for (int64_t n = n0; n < n1; ++n) {
    const uint8_t* wr = w + n * row_bytes;
    if (n + 1 < n1) _mm_prefetch(reinterpret_cast<const char*>(wr + row_bytes), _MM_HINT_T0);
    for (int64_t m = 0; m < x.M; ++m) y[m * ldy + n] = row(wr, x, m);
  }
}

}  // namespace

template <KernelLevel L>
const QuantKernels& quant_kernels_q235() {
  static const QuantKernels k{&gemm_q235<L>};
  return k;
}

}  // namespace transformers::ops::detail
