#pragma once
// The int8 GEMM kernels (int8_gemm.hpp) per level, built by int8_gemm.cpp (scalar),
// int8_gemm_avx2.cpp and int8_gemm_avx512vnni.cpp with their flags (cmake/isa_flags.cmake). Only
// level files include it. Each kernel computes the exact int32 dot sum_k qx * qw and the same float
// epilogue, fma(float(dot), sx[m] * sw[n], bias[n]), so all levels agree bit for bit.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "core/isa/vec.hpp"
#include "ops/cpu/int8_gemm.hpp"

// GCC 12's AVX-512 intrinsics start from an undefined register that -Wmaybe-uninitialized flags at
// every inlining site (as in core/isa/vec.hpp); the values are fully defined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace transformers::ops::detail {
namespace {

// Round half to even for |v| < 2^22 (the values here are within +-127.5): adding and subtracting
// 1.5 * 2^23 leaves the nearest integer under the default rounding mode, as std::nearbyint does, but
// inline and vectorisable (nearbyint and fmax are libm calls at the baseline ISA: they took 28 % of
// the int8 products' time in GPT-2 prefill, perf record).
inline float round_even(float v) {
  constexpr float k = 12582912.0f;
  return (v + k) - k;
}
// Symmetric int8 of v / d with inv = 1 / d, d = amax / 127: the largest magnitude maps to +-127
// exactly, a zero row stays zero.
inline int8_t to_int8(float v, float inv) {
  const float r = round_even(v * inv);
  return int8_t(r > 127.0f ? 127 : r < -127.0f ? -127 : int(r));
}
// max |v[k * stride]| over K values; false when one is NaN or infinite.
inline bool finite_amax(const float* v, int64_t K, int64_t stride, float& amax) {
  bool finite = true;
  float m = 0;
  for (int64_t k = 0; k < K; ++k) {
    const float a = std::fabs(v[k * stride]);
    finite &= a <= std::numeric_limits<float>::max();
    m = a > m ? a : m;
  }
  amax = m;
  return finite;
}

inline int32_t load_dword(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// One row: q[k] = to_int8(row[k], 1 / d) for k < K with d = max_k |row[k]| / 127 (0 for a zero
// row), q[K..Kp) = 0; false when a value is NaN or infinite.
inline bool quantize_row(const float* row, int64_t K, int64_t Kp, int8_t* q, float& d) {
#if defined(__AVX512F__) && defined(__AVX512BW__)
  // The scalar loops below in vectors (GCC left them scalar: 9 % of BERT-base's int8 forward, perf
  // record): |x| and max are exact, roundscale rounds to nearest even as round_even does, so the
  // bytes are the other levels'.
  const __m512 absmask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  const __m512 big = _mm512_set1_ps(std::numeric_limits<float>::max());
  __m512 mx = _mm512_setzero_ps();
  __mmask16 bad = 0;
  for (int64_t k = 0; k < K; k += 16) {
    const __mmask16 mk = K - k >= 16 ? __mmask16(0xffff) : __mmask16((1u << (K - k)) - 1);
    const __m512 a = _mm512_and_ps(_mm512_maskz_loadu_ps(mk, row + k), absmask);
    bad |= _mm512_cmp_ps_mask(a, big, _CMP_NLE_UQ);  // NaN or infinite
    mx = _mm512_max_ps(mx, a);
  }
  if (bad) return false;
  d = _mm512_reduce_max_ps(mx) / 127.0f;
  const __m512 inv = _mm512_set1_ps(d > 0 ? 1.0f / d : 0.0f);
  const __m512 lo = _mm512_set1_ps(-127.0f), hi = _mm512_set1_ps(127.0f);
  for (int64_t k = 0; k < K; k += 16) {
    const __mmask16 mk = K - k >= 16 ? __mmask16(0xffff) : __mmask16((1u << (K - k)) - 1);
    const __m512 r = _mm512_roundscale_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(mk, row + k), inv),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm512_mask_cvtepi32_storeu_epi8(q + k, mk, _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(r, lo), hi)));
  }
#else
  float amax = 0;
  if (!finite_amax(row, K, 1, amax)) return false;
  d = amax / 127.0f;
  const float inv = d > 0 ? 1.0f / d : 0.0f;
  for (int64_t k = 0; k < K; ++k) q[k] = to_int8(row[k], inv);
#endif
  std::memset(q + K, 0, size_t(Kp - K));
  return true;
}

// One row as int16 (the AVX2 level's activations): the values quantize_row gives, widened.
inline bool quantize_row16(const float* row, int64_t K, int64_t Kp, int16_t* q, float& d) {
  int64_t k = 0;
  float amax = 0;
#if defined(__AVX2__)
  // The scalar loops below in vectors (the same IEEE operations: |x| and max are exact, vroundps
  // rounds to nearest even as round_even does), 16 values per step.
  const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 big = _mm256_set1_ps(std::numeric_limits<float>::max());
  __m256 mx = _mm256_setzero_ps(), bad = _mm256_setzero_ps();
  for (; k + 8 <= K; k += 8) {
    const __m256 a = _mm256_and_ps(_mm256_loadu_ps(row + k), absmask);
    bad = _mm256_or_ps(bad, _mm256_cmp_ps(a, big, _CMP_NLE_UQ));  // NaN or infinite
    mx = _mm256_max_ps(mx, a);
  }
  if (_mm256_movemask_ps(bad)) return false;
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
  amax = _mm_cvtss_f32(m4);
#endif
  float tail = 0;
  if (!finite_amax(row + k, K - k, 1, tail)) return false;
  amax = tail > amax ? tail : amax;
  d = amax / 127.0f;
  const float inv = d > 0 ? 1.0f / d : 0.0f;
  k = 0;
#if defined(__AVX2__)
  const __m256 vinv = _mm256_set1_ps(inv), lo = _mm256_set1_ps(-127.0f), hi = _mm256_set1_ps(127.0f);
  auto q8 = [&](int64_t at) {
    const __m256 r = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(row + at), vinv),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(r, lo), hi));
  };
  for (; k + 16 <= K; k += 16) {
    // packs interleaves 128-bit lanes (0-3, 8-11, 4-7, 12-15); the permute puts them back in order
    const __m256i p = _mm256_packs_epi32(q8(k), q8(k + 8));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + k), _mm256_permute4x64_epi64(p, _MM_SHUFFLE(3, 1, 2, 0)));
  }
#endif
  for (; k < K; ++k) q[k] = to_int8(row[k], inv);
  for (; k < Kp; ++k) q[k] = 0;
  return true;
}

// Writes one block of 16 quantized rows (blk: row r at blk + r * Kp) in the blocked layout: group g's
// 64 bytes are the rows' dwords g, each byte's top bit flipped (u8 = q + 128).
inline void write_row_block(const int8_t* blk, int64_t Kp, uint8_t* dst) {
  int64_t g = 0;
#if defined(__AVX512F__)
  // 16 groups at a time: a 16 x 16 dword transpose in registers (a scatter per row was half of the
  // quantizer's time on Zen 4, perf annotate)
  const __m512i flip = _mm512_set1_epi32(int32_t(0x80808080u));
  for (; g + 16 <= Kp / 4; g += 16) {
    __m512i v[16], t[16], c4[16];
    for (int r = 0; r < 16; ++r) v[r] = _mm512_loadu_si512(blk + r * Kp + 4 * g);
    for (int i = 0; i < 8; ++i) {
      t[2 * i] = _mm512_unpacklo_epi32(v[2 * i], v[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_epi32(v[2 * i], v[2 * i + 1]);
    }
    // c4[4i + c], 128-bit lane L: rows 4i..4i+3 of column 4L + c
    for (int i = 0; i < 4; ++i) {
      c4[4 * i + 0] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
      c4[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
      c4[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
      c4[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
    }
    for (int c = 0; c < 4; ++c) {  // columns 4L + c: lane L of c4[c], c4[4 + c], c4[8 + c], c4[12 + c]
      const __m512i x0 = _mm512_shuffle_i32x4(c4[c], c4[4 + c], _MM_SHUFFLE(1, 0, 1, 0));
      const __m512i x1 = _mm512_shuffle_i32x4(c4[c], c4[4 + c], _MM_SHUFFLE(3, 2, 3, 2));
      const __m512i y0 = _mm512_shuffle_i32x4(c4[8 + c], c4[12 + c], _MM_SHUFFLE(1, 0, 1, 0));
      const __m512i y1 = _mm512_shuffle_i32x4(c4[8 + c], c4[12 + c], _MM_SHUFFLE(3, 2, 3, 2));
      const __m512i col[4] = {_mm512_shuffle_i32x4(x0, y0, _MM_SHUFFLE(2, 0, 2, 0)),
                              _mm512_shuffle_i32x4(x0, y0, _MM_SHUFFLE(3, 1, 3, 1)),
                              _mm512_shuffle_i32x4(x1, y1, _MM_SHUFFLE(2, 0, 2, 0)),
                              _mm512_shuffle_i32x4(x1, y1, _MM_SHUFFLE(3, 1, 3, 1))};
      for (int L = 0; L < 4; ++L)
        _mm512_storeu_si512(dst + (g + 4 * L + c) * 4 * kInt8RowBlock, _mm512_xor_si512(col[L], flip));
    }
  }
#endif
  for (; g < Kp / 4; ++g)
    for (int64_t r = 0; r < kInt8RowBlock; ++r) {
      const uint32_t v = uint32_t(load_dword(blk + r * Kp + 4 * g)) ^ 0x80808080u;
      std::memcpy(dst + (g * kInt8RowBlock + r) * 4, &v, 4);
    }
}

// The activation quantizer, built per level (the same IEEE operations at every level, so the same
// bytes). Rows [m0, m1) into the layout int8_quantize_rows chose (int8_gemm.hpp); rows at or past
// x's M are the blocked layout's padding (qx = 0, scale 0).
bool quantize_rows(const float* x, int64_t m0, int64_t m1, int64_t K, int64_t ldx, Int8Rows& out) {
  const int64_t Kp = out.Kp;
  auto row = [&](int64_t m, int8_t* q) {
    float d = 0;
    if (m < out.M) {
      if (!quantize_row(x + m * ldx, K, Kp, q, d)) return false;
    } else {
      std::memset(q, 0, size_t(Kp));
    }
    out.scale[size_t(m)] = d;
    return true;
  };
  if (out.format == Int8RowFormat::S8) {  // signed, row-major
    for (int64_t m = m0; m < m1; ++m)
      if (!row(m, out.q.data() + m * Kp)) return false;
    return true;
  }
  if (out.format == Int8RowFormat::S16) {  // int16, row-major (never blocked)
    for (int64_t m = m0; m < m1; ++m) {
      float d = 0;
      if (!quantize_row16(x + m * ldx, K, Kp, out.q16.data() + m * Kp, d)) return false;
      out.scale[size_t(m)] = d;
    }
    return true;
  }
  if (!out.blocked) {  // unsigned, row-major
    std::vector<int8_t> q(static_cast<size_t>(Kp));
    for (int64_t m = m0; m < m1; ++m) {
      if (!row(m, q.data())) return false;
      uint8_t* u = out.u.data() + m * Kp;
      for (int64_t k = 0; k < Kp; ++k) u[k] = uint8_t(q[size_t(k)] + 128);
    }
    return true;
  }
  // blocked: m0 and m1 are multiples of kInt8RowBlock (the padded row count is one)
  std::vector<int8_t> blk(static_cast<size_t>(kInt8RowBlock * Kp));
  for (int64_t b0 = m0; b0 < m1; b0 += kInt8RowBlock) {
    for (int64_t r = 0; r < kInt8RowBlock; ++r)
      if (!row(b0 + r, blk.data() + r * Kp)) return false;
    write_row_block(blk.data(), Kp, out.u.data() + b0 * Kp);
  }
  return true;
}

// The weight quantizer (int8_quantize_weight splits the channels over the pool): per channel the
// row quantizer's operations (scale = max |w| / 127, to_int8), into the strip layout, and the
// offset 128 * sum_k qw. At AVX-512 a contiguous [N, K] weight (nn.Linear) goes row by row through
// quantize_row, a contiguous [K, N] weight (GPT-2's Conv1D) 16 channels per vector with 4 k packed
// into each channel's dword, so one 64-byte group of a strip per store; the same bytes as the
// scalar loop (tests/ops/test_int8_gemm.cpp compares every level), 226 ms of BERT-base's load.
bool quantize_channels(const float* w, int64_t n0, int64_t n1, int64_t K, int64_t ns, int64_t ks, Int8Weight& out) {
  const int64_t Kp = out.Kp;
#if defined(__AVX512F__) && defined(__AVX512BW__)
  if (ks == 1) {
    std::vector<int8_t> q(static_cast<size_t>(Kp));
    for (int64_t n = n0; n < n1; ++n) {
      float d = 0;
      if (!quantize_row(w + n * ns, K, Kp, q.data(), d)) return false;
      int8_t* strip = out.q.get() + (n / kInt8Strip) * Kp * kInt8Strip + (n % kInt8Strip) * 4;
      int32_t sum = 0;
      for (int64_t g = 0; g < Kp / 4; ++g) {
        std::memcpy(strip + g * 4 * kInt8Strip, q.data() + 4 * g, 4);
        for (int t = 0; t < 4; ++t) sum += q[size_t(4 * g + t)];
      }
      out.scale[size_t(n)] = d;
      out.offset[size_t(n)] = 128 * sum;
    }
    return true;
  }
  if (ns == 1) {
    const __m512 absmask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
    const __m512 big = _mm512_set1_ps(std::numeric_limits<float>::max());
    const __m512 lo = _mm512_set1_ps(-127.0f), hi = _mm512_set1_ps(127.0f);
    for (int64_t c0 = n0; c0 < n1; c0 += kInt8Strip) {  // one strip: 16 channels, lane c = channel c0 + c
      const __mmask16 mc = n1 - c0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n1 - c0)) - 1);
      __m512 mx = _mm512_setzero_ps();
      __mmask16 bad = 0;
      for (int64_t k = 0; k < K; ++k) {
        const __m512 a = _mm512_and_ps(_mm512_maskz_loadu_ps(mc, w + k * ks + c0), absmask);
        bad |= _mm512_cmp_ps_mask(a, big, _CMP_NLE_UQ);
        mx = _mm512_max_ps(mx, a);
      }
      if (bad) return false;
      const __m512 d = _mm512_div_ps(mx, _mm512_set1_ps(127.0f));
      const __m512 inv = _mm512_maskz_div_ps(_mm512_cmp_ps_mask(d, _mm512_setzero_ps(), _CMP_GT_OQ),
                                             _mm512_set1_ps(1.0f), d);
      __m512i sum = _mm512_setzero_si512();
      int8_t* strip = out.q.get() + (c0 / kInt8Strip) * Kp * kInt8Strip;
      for (int64_t g = 0; g < Kp / 4; ++g) {
        __m512i dword = _mm512_setzero_si512();
        for (int t = 0; t < 4 && 4 * g + t < K; ++t) {
          const __m512 r = _mm512_roundscale_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(mc, w + (4 * g + t) * ks + c0), inv),
                                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
          const __m512i qi = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(r, lo), hi));
          sum = _mm512_add_epi32(sum, qi);
          dword = _mm512_or_si512(dword, _mm512_slli_epi32(_mm512_and_si512(qi, _mm512_set1_epi32(0xff)), 8 * t));
        }
        _mm512_storeu_si512(strip + g * 4 * kInt8Strip, dword);
      }
      _mm512_mask_storeu_ps(out.scale.data() + c0, mc, d);
      _mm512_mask_storeu_epi32(out.offset.data() + c0, mc, _mm512_mullo_epi32(sum, _mm512_set1_epi32(128)));
    }
    return true;
  }
#endif
  for (int64_t n = n0; n < n1; ++n) {
    const float* row = w + n * ns;
    float amax = 0;
    if (!finite_amax(row, K, ks, amax)) return false;
    const float d = amax / 127.0f, inv = d > 0 ? 1.0f / d : 0.0f;
    int8_t* strip = out.q.get() + (n / kInt8Strip) * Kp * kInt8Strip;
    int32_t sum = 0;
    for (int64_t k = 0; k < K; ++k) {
      const int8_t q = to_int8(row[k * ks], inv);
      strip[(k / 4) * 4 * kInt8Strip + (n % kInt8Strip) * 4 + k % 4] = q;
      sum += q;
    }
    out.scale[size_t(n)] = d;
    out.offset[size_t(n)] = 128 * sum;
  }
  return true;
}

inline float int8_epilogue(int32_t dot, float sx, float sw, const float* bias, int64_t n) {
  return std::fma(float(dot), sx * sw, bias ? bias[n] : 0.0f);
}

template <KernelLevel L>
struct Int8Gemm {
  // Plain loops over the packed layout (baseline x86-64 code; the reference of the other levels).
  static void gemm(const Int8Weight& w, const Int8Rows& x, const float* bias, float* y, int64_t ldy, int64_t s0,
                   int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      const int8_t* ws = w.strip(s);
      const int64_t n0 = s * kInt8Strip, cols = std::min(kInt8Strip, w.N - n0);
      for (int64_t m = 0; m < x.M; ++m) {
        const int8_t* xq = x.q.data() + m * x.Kp;
        for (int64_t c = 0; c < cols; ++c) {
          int32_t dot = 0;
          for (int64_t g = 0; g < x.Kp / 4; ++g)
            for (int t = 0; t < 4; ++t) dot += int32_t(xq[4 * g + t]) * int32_t(ws[g * 4 * kInt8Strip + c * 4 + t]);
          y[m * ldy + n0 + c] = int8_epilogue(dot, x.scale[size_t(m)], w.scale[size_t(n0 + c)], bias, n0 + c);
        }
      }
    }
  }
};

// Splits the rows into blocks of up to MR and calls block<mr>(m0) for each.
template <int MR, class Block>
void for_row_blocks(int64_t M, Block&& block) {
  int64_t m0 = 0;
  for (; m0 + MR <= M; m0 += MR) block.template operator()<MR>(m0);
  const int64_t rem = M - m0;
  if constexpr (MR > 1) {
    if (rem > 0) {
      // the remainder rows, one compile-time count each
      [&]<int... R>(std::integer_sequence<int, R...>) {
        ((rem == R + 1 ? (block.template operator()<R + 1>(m0), 0) : 0), ...);
      }(std::make_integer_sequence<int, MR - 1>{});
    }
  }
}

#if defined(__AVX2__) && defined(__FMA__)
// AVX2 without VNNI, from 2 rows: vpmaddwd of int16 activations by the int16 weights (16 products
// per multiply instruction) and vpaddd into int32 lanes. The weights stay int8 in memory and are
// widened in registers by vpmovsxbw, once per block of up to 5 rows. This replaced, for 2 rows and
// more, vpsignb + vpmaddubsw + vpmaddwd per 32 products (narrow_block below): on one Zen 4 core
// (forced to this level) 128 x 768 x 768 went from 71 to 82 G multiply-adds/s, 16 x 768 x 2304 from
// 72 to 81 (docs/int8.md); the same number of multiply instructions per product, without the sign.
//
// A block is up to 5 rows by 8 channels of one strip: vpmovsxbw of 16 weight bytes (4 channels' 4
// k of a group) gives lanes c0k0 c0k1 c0k2 c0k3 c1k0 ..., the row's 4 int16 of the group are one
// broadcast qword, so vpmaddwd leaves lanes (c0: k0+k1, c0: k2+k3, c1: ..., c3: ...); each row keeps
// two accumulators (channels 0-3, 4-7), 10 at 5 rows (6 rows need 17 of the 16 registers: the
// spills cost 30 %), and the epilogue adds the lane pairs. Products of int16 values within +-127
// and their pair sums are exact in int32, so the dots are the scalar level's.
template <>
struct Int8Gemm<KernelLevel::Avx2> {
  // noinline: each row count gets its own register allocation (inlined into gemm, GCC 12 copied the
  // 4-row block's accumulators around and stored one per step: half speed)
  template <int MR>
  __attribute__((noinline)) static void block(const Int8Weight& w, const Int8Rows& x, const float* bias, float* y, int64_t ldy, int64_t m0,
                    int64_t n0) {
    __m256i acc[MR][2];
    #pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
    const int8_t* wb = w.strip(n0 / kInt8Strip) + (n0 % kInt8Strip) * 4;
    const int16_t* xr = x.q16.data() + m0 * x.Kp;
    const int64_t groups = x.Kp / 4;
    for (int64_t g = 0; g < groups; ++g) {
      const __m256i b0 = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(wb + g * 64)));
      const __m256i b1 = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(wb + g * 64 + 16)));
      #pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        int64_t v;
        std::memcpy(&v, xr + i * x.Kp + 4 * g, 8);
        const __m256i a = _mm256_set1_epi64x(v);
        acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(a, b0));
        acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(a, b1));
      }
    }
    // The sums leave the registers through this array (as in the VNNI tile below): with the
    // epilogue reading acc itself GCC kept accumulators on the stack inside the loop, a load and a
    // store per vpaddd, and the kernel ran at 45-57 instead of 80 G multiply-adds/s.
    alignas(32) int32_t sums[MR][2][8];
    #pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(sums[i][0]), acc[i][0]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(sums[i][1]), acc[i][1]);
    }
    const int64_t cols = std::min<int64_t>(8, w.N - n0);
    alignas(32) float bb[8] = {};
    if (bias) std::memcpy(bb, bias + n0, size_t(cols) * 4);
    const __m256 sw = _mm256_loadu_ps(w.scale.data() + n0), bv = _mm256_load_ps(bb);
    for (int i = 0; i < MR; ++i) {
      // hadd: (c0 c1 c4 c5 | c2 c3 c6 c7); the permute orders the 64-bit pairs
      const __m256i dot = _mm256_permute4x64_epi64(
          _mm256_hadd_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(sums[i][0])),
                            _mm256_load_si256(reinterpret_cast<const __m256i*>(sums[i][1]))),
          _MM_SHUFFLE(3, 1, 2, 0));
      const __m256 r = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(_mm256_set1_ps(x.scale[size_t(m0 + i)]), sw), bv);
      float* yo = y + (m0 + i) * ldy + n0;
      if (cols == 8) {
        _mm256_storeu_ps(yo, r);
      } else {
        alignas(32) float t[8];
        _mm256_store_ps(t, r);
        std::memcpy(yo, t, size_t(cols) * 4);
      }
    }
  }
  // One row (decode): per 4-byte group, vpmaddubsw of |w| (u8) by the activation carrying w's sign
  // (s8; pairs of products <= 2 * 127 * 127, below int16's saturation), vpmaddwd by ones into int32;
  // one strip (16 channels, two 8-lane halves) by up to 4 rows. For a single row this streams the
  // int8 weights faster than widening them (1 x 768 x 2304: 0.032 against 0.037 ms).
  template <int MR>
  static void narrow_block(const Int8Weight& w, const Int8Rows& x, const float* bias, float* y, int64_t ldy, int64_t m0,
                    int64_t s) {
    __m256i acc[MR][2];
    for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
    const int8_t* ws = w.strip(s);
    const int8_t* xr = x.q.data() + m0 * x.Kp;
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t g = 0; g < x.Kp / 4; ++g) {
      const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(ws + g * 64));
      const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(ws + g * 64 + 32));
      const __m256i a0 = _mm256_abs_epi8(b0), a1 = _mm256_abs_epi8(b1);
      for (int i = 0; i < MR; ++i) {
        const __m256i v = _mm256_set1_epi32(load_dword(xr + i * x.Kp + 4 * g));
        acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(_mm256_maddubs_epi16(a0, _mm256_sign_epi8(v, b0)), ones));
        acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(_mm256_maddubs_epi16(a1, _mm256_sign_epi8(v, b1)), ones));
      }
    }
    const int64_t n0 = s * kInt8Strip, cols = std::min(kInt8Strip, w.N - n0);
    alignas(32) float bb[kInt8Strip] = {};
    if (bias) std::memcpy(bb, bias + n0, size_t(cols) * 4);
    for (int h = 0; h < 2; ++h) {
      const __m256 sw = _mm256_loadu_ps(w.scale.data() + n0 + 8 * h), bv = _mm256_load_ps(bb + 8 * h);
      for (int i = 0; i < MR; ++i) {
        const __m256 r = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[i][h]),
                                         _mm256_mul_ps(_mm256_set1_ps(x.scale[size_t(m0 + i)]), sw), bv);
        float* yo = y + (m0 + i) * ldy + n0 + 8 * h;
        if (cols >= 8 * (h + 1)) {
          _mm256_storeu_ps(yo, r);
        } else if (cols > 8 * h) {
          alignas(32) float t[8];
          _mm256_store_ps(t, r);
          std::memcpy(yo, t, size_t(cols - 8 * h) * 4);
        }
      }
    }
  }
  static void gemm(const Int8Weight& w, const Int8Rows& x, const float* bias, float* y, int64_t ldy, int64_t s0,
                   int64_t s1) {
    if (x.format == Int8RowFormat::S8) {
      for (int64_t s = s0; s < s1; ++s)
        for_row_blocks<4>(x.M, [&]<int R>(int64_t m0) { narrow_block<R>(w, x, bias, y, ldy, m0, s); });
      return;
    }
    const int64_t n1 = std::min(s1 * kInt8Strip, w.N);
    // channel blocks outer: the block's weights (8 x Kp bytes) stay in L1 across the row blocks
    for (int64_t n0 = s0 * kInt8Strip; n0 < n1; n0 += 8)
      for_row_blocks<5>(x.M, [&]<int R>(int64_t m0) { block<R>(w, x, bias, y, ldy, m0, n0); });
  }
};
#endif

#if defined(__AVX512VNNI__) && defined(__AVX512F__)
// AVX-512 VNNI: vpdpbusd multiplies 4 u8 activations (qx + 128, one broadcast dword) by the 4 s8
// weights of each of 16 channels and adds their sum to the channel's int32 lane. Blocks of up to
// 6 rows by 3 strips (48 channels): 18 accumulators, 3 weight loads and 6 broadcasts per 18 products.
template <>
struct Int8Gemm<KernelLevel::Avx512Vnni> {
  template <int MR, int NS>
  static void block(const Int8Weight& w, const Int8Rows& x, const float* bias, float* y, int64_t ldy, int64_t m0,
                    int64_t s) {
    __m512i acc[MR][NS];
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NS; ++j) acc[i][j] = _mm512_setzero_si512();
    const int8_t* ws[NS];
    for (int j = 0; j < NS; ++j) ws[j] = w.strip(s + j);
    const uint8_t* xr = x.u.data() + m0 * x.Kp;
    for (int64_t g = 0; g < x.Kp / 4; ++g) {
      __m512i b[NS];
      for (int j = 0; j < NS; ++j) b[j] = _mm512_load_si512(ws[j] + g * 64);
      for (int i = 0; i < MR; ++i) {
        const __m512i v = _mm512_set1_epi32(load_dword(xr + i * x.Kp + 4 * g));
        for (int j = 0; j < NS; ++j) acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], v, b[j]);
      }
    }
    for (int j = 0; j < NS; ++j) {
      const int64_t n0 = (s + j) * kInt8Strip, cols = std::min(kInt8Strip, w.N - n0);
      const __mmask16 mask = __mmask16((1u << cols) - 1);
      const __m512i off = _mm512_loadu_si512(w.offset.data() + n0);
      const __m512 sw = _mm512_loadu_ps(w.scale.data() + n0);
      const __m512 bv = bias ? _mm512_maskz_loadu_ps(mask, bias + n0) : _mm512_setzero_ps();
      for (int i = 0; i < MR; ++i) {
        const __m512 r = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[i][j], off)),
                                         _mm512_mul_ps(_mm512_set1_ps(x.scale[size_t(m0 + i)]), sw), bv);
        _mm512_mask_storeu_ps(y + (m0 + i) * ldy + n0, mask, r);
      }
    }
  }
  template <int NS>
  static void strips(const Int8Weight& w, const Int8Rows& x, const float* bias, float* y, int64_t ldy, int64_t s) {
    for_row_blocks<6>(x.M, [&]<int R>(int64_t m0) { block<R, NS>(w, x, bias, y, ldy, m0, s); });
  }

  // The blocked activations (many rows): lanes run over 16 rows and each weight dword is broadcast,
  // a tile of RV x 16 rows by 8 channels (24 accumulators at RV = 3; 3 activation loads and 8
  // broadcasts per 24 vpdpbusd). This runs at ~95 % of vpdpbusd's peak where the block above, with
  // lanes over channels and the activations broadcast, ran at ~60 % (Zen 4, BERT-base shapes;
  // docs/int8.md). The 8 channels lie in one strip, so their dwords of a group are 32 adjacent bytes.
  template <int RV>
  static void tile(const Int8Weight& w, const Int8Rows& x, const float* bias, float* y, int64_t ldy, int64_t vb,
                   int64_t n0) {
    constexpr int NC = 8;
    // (the unroll pragmas keep acc in registers; GCC kept it on the stack, a store per vpdpbusd, and
    // the kernel ran at half the speed)
    __m512i acc[RV][NC];
    #pragma GCC unroll 8
    for (int i = 0; i < RV; ++i)
      #pragma GCC unroll 8
      for (int j = 0; j < NC; ++j) acc[i][j] = _mm512_setzero_si512();
    const int8_t* wb = w.strip(n0 / kInt8Strip) + (n0 % kInt8Strip) * 4;
    const int64_t vstride = kInt8RowBlock * x.Kp;
    const uint8_t* xb = x.u.data() + vb * vstride;
    for (int64_t g = 0; g < x.Kp / 4; ++g) {
      __m512i a[RV];
      #pragma GCC unroll 8
      for (int i = 0; i < RV; ++i) a[i] = _mm512_loadu_si512(xb + i * vstride + g * 64);
      #pragma GCC unroll 8
      for (int j = 0; j < NC; ++j) {
        const __m512i b = _mm512_set1_epi32(load_dword(wb + g * 64 + j * 4));
        #pragma GCC unroll 8
        for (int i = 0; i < RV; ++i) acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], a[i], b);
      }
    }
    // The sums leave the registers through this array: an epilogue reading acc itself made GCC keep
    // acc in memory inside the loop as well.
    alignas(64) int32_t sums[RV][NC][16];
    #pragma GCC unroll 8
    for (int i = 0; i < RV; ++i)
      #pragma GCC unroll 8
      for (int j = 0; j < NC; ++j) _mm512_store_si512(sums[i][j], acc[i][j]);
    const int64_t cols = std::min<int64_t>(NC, w.N - n0);
    const __mmask8 mask = __mmask8((1u << cols) - 1);
    for (int i = 0; i < RV; ++i) {
      const int64_t r0 = (vb + i) * kInt8RowBlock;
      const __m512 sx = _mm512_loadu_ps(x.scale.data() + r0);
      __m512 v[NC];
      for (int j = 0; j < NC; ++j) {
        const int64_t n = n0 + j;
        const __m512i dot = _mm512_sub_epi32(_mm512_load_si512(sums[i][j]), _mm512_set1_epi32(w.offset[size_t(n)]));
        v[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(sx, _mm512_set1_ps(w.scale[size_t(n)])),
                               _mm512_set1_ps(bias && n < w.N ? bias[n] : 0.0f));
      }
      store_rows(v, y + r0 * ldy + n0, ldy, std::min(kInt8RowBlock, x.M - r0), mask);
    }
  }
  // v[j] holds channel j of 16 rows (lane r = row r); writes row r's 8 channels to y + r * ldy for
  // r < rows, the channels in `mask`. An 8 x 16 transpose: unpack pairs of channels, then pairs of
  // pairs (each 128-bit lane L then holds rows 4L..4L+3 of 4 channels), then gather halves.
  static void store_rows(const __m512 (&v)[8], float* y, int64_t ldy, int64_t rows, __mmask8 mask) {
    __m512 t[8], u[8];
    #pragma GCC unroll 8
    for (int j = 0; j < 4; ++j) {
      t[2 * j] = _mm512_unpacklo_ps(v[2 * j], v[2 * j + 1]);
      t[2 * j + 1] = _mm512_unpackhi_ps(v[2 * j], v[2 * j + 1]);
    }
    #pragma GCC unroll 8
    for (int h = 0; h < 2; ++h) {  // channels 4h..4h+3
      const __m512d a0 = _mm512_castps_pd(t[4 * h]), a1 = _mm512_castps_pd(t[4 * h + 1]);
      const __m512d b0 = _mm512_castps_pd(t[4 * h + 2]), b1 = _mm512_castps_pd(t[4 * h + 3]);
      u[4 * h + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, b0));  // rows 4L + 0
      u[4 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, b0));  // rows 4L + 1
      u[4 * h + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, b1));  // rows 4L + 2
      u[4 * h + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, b1));  // rows 4L + 3
    }
    #pragma GCC unroll 8
    for (int r = 0; r < 4; ++r) {
      // lanes L = 0, 1 (rows r, 4 + r) and L = 2, 3 (rows 8 + r, 12 + r), channels 0-3 then 4-7
      const __m512 lo = _mm512_shuffle_f32x4(u[r], u[4 + r], _MM_SHUFFLE(1, 0, 1, 0));
      const __m512 hi = _mm512_shuffle_f32x4(u[r], u[4 + r], _MM_SHUFFLE(3, 2, 3, 2));
      const __m512 p[2] = {_mm512_shuffle_f32x4(lo, lo, _MM_SHUFFLE(3, 1, 2, 0)),
                           _mm512_shuffle_f32x4(hi, hi, _MM_SHUFFLE(3, 1, 2, 0))};
      #pragma GCC unroll 8
      for (int q = 0; q < 4; ++q) {  // rows r, 4 + r, 8 + r, 12 + r
        const int64_t row = 4 * q + r;
        if (row >= rows) continue;
        const __m256 out = q % 2 ? _mm512_extractf32x8_ps(p[q / 2], 1) : _mm512_castps512_ps256(p[q / 2]);
        _mm256_mask_storeu_ps(y + row * ldy, mask, out);
      }
    }
  }
  static void gemm_blocked(const Int8Weight& w, const Int8Rows& x, const float* bias, float* y, int64_t ldy,
                           int64_t s0, int64_t s1) {
    const int64_t vectors = (x.M + kInt8RowBlock - 1) / kInt8RowBlock;
    const int64_t n1 = std::min(s1 * kInt8Strip, w.N);
    // channel blocks outer: the block's weights (8 x Kp bytes) stay in L1 across the row tiles
    for (int64_t n0 = s0 * kInt8Strip; n0 < n1; n0 += 8) {
      int64_t vb = 0;
      for (; vb + 3 <= vectors; vb += 3) tile<3>(w, x, bias, y, ldy, vb, n0);
      if (vectors - vb == 2) tile<2>(w, x, bias, y, ldy, vb, n0);
      if (vectors - vb == 1) tile<1>(w, x, bias, y, ldy, vb, n0);
    }
  }
  static void gemm(const Int8Weight& w, const Int8Rows& x, const float* bias, float* y, int64_t ldy, int64_t s0,
                   int64_t s1) {
    if (x.blocked) return gemm_blocked(w, x, bias, y, ldy, s0, s1);
    int64_t s = s0;
    for (; s + 3 <= s1; s += 3) strips<3>(w, x, bias, y, ldy, s);
    if (s1 - s == 2) strips<2>(w, x, bias, y, ldy, s);
    if (s1 - s == 1) strips<1>(w, x, bias, y, ldy, s);
  }
};
#endif

}  // namespace

template <KernelLevel L>
const Int8Kernels& int8_kernels() {
  static const Int8Kernels k{&Int8Gemm<L>::gemm, &quantize_rows, &quantize_channels,
                             L == KernelLevel::Avx512Vnni ? Int8RowFormat::U8 : Int8RowFormat::S8,
                             L == KernelLevel::Avx512Vnni ? kInt8RowBlock : 0, L == KernelLevel::Avx2 ? 2 : 0};
  return k;
}

}  // namespace transformers::ops::detail

#pragma GCC diagnostic pop
