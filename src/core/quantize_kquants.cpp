// Quantizers of the GGML block types the GGUF writer's named mixes need (q2_k, q3_k_s|m|l, q4_k_m,
// q5_k_m, q6_k and their fallbacks Q5_0 / Q5_1 for rows that are not whole 256-element super-blocks).
//
// Q4_1 / Q5_0 / Q5_1 follow gguf-py's numpy quantizers (gguf/quants.py), so their bytes equal
// gguf.quants.quantize's. gguf-py has no k-quant quantizer; Q4_K / Q5_K / Q6_K follow the facts of
// llama.cpp's reference quantizer (ggml-quants.c, used by llama-quantize when no importance matrix
// is given): per 32- (or 16-) element sub-block a least-squares fit of scale and offset over a
// small sweep of candidate scales (Q3_K, Q6_K: a symmetric scale), then the sub-block scales
// themselves quantized to 4 (Q2_K), 6 (Q3_K, Q4_K, Q5_K) or 8 (Q6_K) bits against one fp16
// super-block scale, and the values requantized with the stored scales. The float32 operations are kept in the order that reference evaluates them so
// the same inputs give the same choices.
#include "core/quantize_kquants.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "transformers/core/dtype.hpp"

namespace transformers::detail {

namespace {

constexpr int QK = 32;    // elements per block of the simple types
constexpr int QKK = 256;  // elements per k-quant super-block

void put_half(uint8_t* p, float f) {
  const uint16_t h = float_to_fp16(f);
  std::memcpy(p, &h, 2);
}

float get_half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return fp16_to_float(h);
}

// Round half to even, as the reference's float trick (adding 1.5 * 2^23) does for |v| < 2^22.
// Outside that range (or NaN, from a corrupt checkpoint) a clamped value instead of undefined
// behaviour; the callers clamp to the type's range anyway.
int round_even(float v) {
  if (!(std::fabs(v) < 4194304.0f)) return v > 0 ? 4194303 : v < 0 ? -4194303 : 0;
  return int(std::nearbyint(v));
}

// ---- simple types, as gguf-py computes them (float32 numpy arithmetic, truncation toward zero)

// uint8 of trunc(v) for the non-negative v the callers produce, clipped to [0, hi]
uint8_t trunc_clip(float v, int hi) {
  const float t = std::trunc(v);
  return uint8_t(std::min(float(hi), std::max(0.0f, t)));
}

void min_max(const float* x, float& lo, float& hi) {
  lo = hi = x[0];
  for (int j = 1; j < QK; ++j) lo = std::min(lo, x[j]), hi = std::max(hi, x[j]);
}

// The 32 five-bit values as GGML stores them: low nibbles (element j and j + 16 share byte j) and
// the fifth bits as a little-endian uint32 (bit j for element j).
void pack_q5(const uint8_t* q, uint8_t* qh, uint8_t* qs) {
  uint32_t h = 0;
  for (int j = 0; j < QK; ++j) h |= uint32_t(q[j] >> 4) << j;
  std::memcpy(qh, &h, 4);
  for (int j = 0; j < QK / 2; ++j) qs[j] = uint8_t((q[j] & 0x0f) | ((q[j + QK / 2] & 0x0f) << 4));
}

// ---- k-quant helpers (llama.cpp's reference scale search, without importance weights)

// Fits x ~ scale * L - min_out with L in [0, nmax] (min_out >= 0) minimising the weighted squared
// error (`mad`: the weighted absolute error, Q2_K's choice): an initial scale from the range, then
// `nstep` + 1 candidate inverse scales (rmin + rdelta * is + nmax) / range, each refined by least
// squares; the best one is kept.
float fit_scale_min(int n, int nmax, const float* x, const float* w, uint8_t* L, float* min_out, float rmin,
                    float rdelta, int nstep, bool mad = false) {
  auto err_of = [mad](float diff) { return mad ? std::fabs(diff) : diff * diff; };
  float lo = x[0], hi = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (lo > 0) lo = 0;
  if (hi == lo) {
    std::fill(L, L + n, uint8_t(0));
    *min_out = -lo;
    return 0.0f;
  }
  float iscale = float(nmax) / (hi - lo);
  float scale = 1 / iscale;
  float best = 0;
  for (int i = 0; i < n; ++i) {
    L[i] = uint8_t(std::clamp(round_even(iscale * (x[i] - lo)), 0, nmax));
    best += w[i] * err_of(scale * float(L[i]) + lo - x[i]);
  }
  uint8_t cand[QK];
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * float(is) + float(nmax)) / (hi - lo);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      cand[i] = uint8_t(std::clamp(round_even(iscale * (x[i] - lo)), 0, nmax));
      const float l = float(cand[i]);
      sum_l += w[i] * l;
      sum_l2 += w[i] * l * l;
      sum_xl += w[i] * l * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (!(det > 0)) continue;
    float s = (sum_w * sum_xl - sum_x * sum_l) / det;
    float m = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (m > 0) {
      m = 0;
      s = sum_xl / sum_l2;
    }
    float err = 0;
    for (int i = 0; i < n; ++i) {
      err += w[i] * err_of(s * float(cand[i]) + m - x[i]);
    }
    if (err < best) {
      std::copy(cand, cand + n, L);
      best = err;
      scale = s;
      lo = m;
    }
  }
  *min_out = -lo;
  return scale;
}

// Fits x ~ scale * (L - nmax) with L in [0, 2 nmax), weights x^2: the scale through the element
// of largest magnitude (sign kept, so the extreme lands on -nmax), then 18 nearby inverse scales
// -(nmax + 0.1 is) / max, keeping the one whose least-squares fit explains the most.
float fit_symmetric(int n, int nmax, const float* x, int8_t* L) {
  float amax = 0, vmax = 0;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) amax = std::fabs(x[i]), vmax = x[i];
  if (amax < 1e-15f) {
    std::fill(L, L + n, int8_t(0));
    return 0.0f;
  }
  auto level = [&](float iscale, int i) { return std::clamp(round_even(iscale * x[i]), -nmax, nmax - 1); };
  auto sums = [&](float iscale, float& sumlx, float& suml2) {
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const float l = float(level(iscale, i)), w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
  };
  float iscale = -float(nmax) / vmax;
  float sumlx, suml2;
  sums(iscale, sumlx, suml2);
  for (int i = 0; i < n; ++i) L[i] = int8_t(level(iscale, i) + nmax);
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(float(nmax) + 0.1f * float(is)) / vmax;
    sums(iscale, sumlx, suml2);
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) L[i] = int8_t(level(iscale, i) + nmax);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// The 8 six-bit (scale, min) pairs of Q4_K / Q5_K in their 12 bytes: bytes 0-3 scales 0-3, bytes
// 4-7 mins 0-3, each with the top two bits of scale / min 4-7 in bits 6-7; bytes 8-11 the low
// nibbles of scale 4-7 (low half) and min 4-7 (high half).
void pack_scale_min(const uint8_t* sc, const uint8_t* mn, uint8_t* s) {
  for (int j = 0; j < 4; ++j) {
    s[j] = uint8_t(sc[j] | ((sc[j + 4] >> 4) << 6));
    s[j + 4] = uint8_t(mn[j] | ((mn[j + 4] >> 4) << 6));
    s[j + 8] = uint8_t((sc[j + 4] & 0x0f) | ((mn[j + 4] & 0x0f) << 4));
  }
}

// Q4_K / Q5_K levels: per 32 elements a (scale, min) fit with weights rms + |x|, both quantized to
// 6 bits against the largest (d = max / 63, dmin = max_min / 63), then each element requantized
// with the stored values. Writes d, dmin and the 12 scale bytes to b; the levels to L.
void k_scale_min_block(const float* x, uint8_t* b, uint8_t* L, int nmax, float rmin, int nstep) {
  float scales[8], mins[8], w[QK];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + QK * j;
    float sum_x2 = 0;
    for (int l = 0; l < QK; ++l) sum_x2 += xs[l] * xs[l];
    const float av = std::sqrt(sum_x2 / QK);
    for (int l = 0; l < QK; ++l) w[l] = av + std::fabs(xs[l]);
    scales[j] = fit_scale_min(QK, nmax, xs, w, L + QK * j, &mins[j], rmin, 0.1f, nstep);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
  uint8_t sc[8], mn[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = std::min<uint8_t>(63, uint8_t(round_even(inv_scale * scales[j])));
    mn[j] = std::min<uint8_t>(63, uint8_t(round_even(inv_min * mins[j])));
  }
  put_half(b, max_scale / 63.0f);
  put_half(b + 2, max_min / 63.0f);
  pack_scale_min(sc, mn, b + 4);
  const float d = get_half(b), dmin = get_half(b + 2);
  for (int j = 0; j < 8; ++j) {
    const float dl = d * float(sc[j]);
    if (dl == 0) continue;  // keeps the fit's levels, as the reference does
    const float ml = dmin * float(mn[j]);
    for (int i = 0; i < QK; ++i) L[QK * j + i] = uint8_t(std::clamp(round_even((x[QK * j + i] + ml) / dl), 0, nmax));
  }
}

}  // namespace

namespace {
// Q4_1 / Q5_1: scale (hi - lo) / maxq and the minimum as two halves, then q = round((x - lo) / d).
void quantize_scale_min(const float* x, uint8_t* b, int maxq, uint8_t* q) {
  float lo, hi;
  min_max(x, lo, hi);
  const float d = (hi - lo) / float(maxq), id = d == 0 ? 0.0f : 1.0f / d;
  put_half(b, d);
  put_half(b + 2, lo);
  for (int j = 0; j < QK; ++j) q[j] = trunc_clip((x[j] - lo) * id + 0.5f, maxq);
}
}  // namespace

void quantize_block_q4_1(const float* x, uint8_t* b) {
  uint8_t q[QK];
  quantize_scale_min(x, b, 15, q);
  for (int j = 0; j < QK / 2; ++j) b[4 + j] = uint8_t(q[j] | (q[j + QK / 2] << 4));
}

void quantize_block_q5_0(const float* x, uint8_t* b) {
  int imax = 0;  // the first element of largest magnitude, as numpy's argmax picks it
  for (int j = 1; j < QK; ++j)
    if (std::fabs(x[j]) > std::fabs(x[imax])) imax = j;
  const float d = x[imax] / -16.0f, id = d == 0 ? 0.0f : 1.0f / d;
  put_half(b, d);
  uint8_t q[QK];
  for (int j = 0; j < QK; ++j) q[j] = trunc_clip(x[j] * id + 16.5f, 31);
  pack_q5(q, b + 2, b + 6);
}

void quantize_block_q5_1(const float* x, uint8_t* b) {
  uint8_t q[QK];
  quantize_scale_min(x, b, 31, q);
  pack_q5(q, b + 4, b + 8);
}

// Q4_K: fp16 d, fp16 dmin, 12 scale bytes, 128 bytes: sub-blocks 2c and 2c + 1 share bytes
// 32c .. 32c + 31 (low and high nibble).
void quantize_block_q4_k(const float* x, uint8_t* b) {
  uint8_t L[QKK];
  k_scale_min_block(x, b, L, 15, -1.0f, 20);
  uint8_t* qs = b + 16;
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < QK; ++l) qs[QK * c + l] = uint8_t(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
}

// Q5_K: as Q4_K, with 32 bytes of fifth bits (element 32g + l: bit g of byte l) before the nibbles.
void quantize_block_q5_k(const float* x, uint8_t* b) {
  uint8_t L[QKK];
  k_scale_min_block(x, b, L, 31, -0.5f, 15);
  uint8_t* qh = b + 16;
  uint8_t* qs = b + 48;
  std::memset(qh, 0, QK);
  for (int g = 0; g < 8; ++g)
    for (int l = 0; l < QK; ++l) qh[l] = uint8_t(qh[l] | ((L[QK * g + l] >> 4) << g));
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < QK; ++l)
      qs[QK * c + l] = uint8_t((L[64 * c + l] & 0x0f) | ((L[64 * c + 32 + l] & 0x0f) << 4));
}

// The 2-bit quants of Q2_K / Q3_K: sub-block g (32 elements) in bits 2(g%4) of bytes (g/4)*32 ..+31.
void pack_2bit(const uint8_t* L, uint8_t* qs) {
  for (int c = 0; c < 2; ++c)
    for (int l = 0; l < QK; ++l) {
      const uint8_t* Lc = L + 128 * c + l;
      qs[QK * c + l] = uint8_t(Lc[0] | (Lc[32] << 2) | (Lc[64] << 4) | (Lc[96] << 6));
    }
}

// Q2_K: per 16 elements a (scale, min) fit with 2-bit levels, weights |x| and the absolute error
// (candidates (-0.5 + 0.1 is + 3) / range, is = 0..15); the 16 scales and 16 mins quantized to 4
// bits against the largest of each (d = max / 15, dmin = max_min / 15); the values requantized with
// the stored ones. Layout: 16 bytes (scale | min << 4), 64 bytes of 2-bit quants, fp16 d, fp16 dmin.
void quantize_block_q2_k(const float* x, uint8_t* b) {
  uint8_t L[QKK];
  float scales[16], mins[16], w[16];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 16; ++j) {
    for (int l = 0; l < 16; ++l) w[l] = std::fabs(x[16 * j + l]);
    scales[j] = fit_scale_min(16, 3, x + 16 * j, w, L + 16 * j, &mins[j], -0.5f, 0.1f, 15, true);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  uint8_t* sc = b;
  std::memset(sc, 0, 16);
  put_half(b + 80, 0.0f);
  put_half(b + 82, 0.0f);
  if (max_scale > 0) {
    const float iscale = 15.0f / max_scale;
    for (int j = 0; j < 16; ++j) sc[j] = uint8_t(std::clamp(round_even(iscale * scales[j]), 0, 15));
    put_half(b + 80, max_scale / 15.0f);
  }
  if (max_min > 0) {
    const float iscale = 15.0f / max_min;
    for (int j = 0; j < 16; ++j) sc[j] = uint8_t(sc[j] | (std::clamp(round_even(iscale * mins[j]), 0, 15) << 4));
    put_half(b + 82, max_min / 15.0f);
  }
  const float d = get_half(b + 80), dmin = get_half(b + 82);
  for (int j = 0; j < 16; ++j) {
    const float dl = d * float(sc[j] & 0x0f);
    if (dl == 0) continue;  // keeps the fit's levels, as the reference does
    const float ml = dmin * float(sc[j] >> 4);
    for (int i = 0; i < 16; ++i) L[16 * j + i] = uint8_t(std::clamp(round_even((x[16 * j + i] + ml) / dl), 0, 3));
  }
  pack_2bit(L, b + 16);
}

namespace {
// Q3_K's fit of 16 elements: x ~ scale * (L - 4), L in [0, 8), from the scale through the element
// of largest magnitude (landing on -4), then up to 5 passes that move single elements to the level
// their least-squares fit asks for when that raises (sum w x l)^2 / sum w l^2 (weights x^2).
float fit_q3(const float* x, int8_t* L) {
  constexpr int nmax = 4, n = 16;
  float amax = 0, vmax = 0;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) amax = std::fabs(x[i]), vmax = x[i];
  if (amax < 1e-15f) {
    std::fill(L, L + n, int8_t(0));
    return 0.0f;
  }
  const float iscale = -float(nmax) / vmax;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(round_even(iscale * x[i]), -nmax, nmax - 1);
    L[i] = int8_t(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * float(l);
    suml2 += w * float(l) * float(l);
  }
  for (int pass = 0; pass < 5; ++pass) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * float(L[i]);
      if (!(slx > 0)) continue;
      float sl2 = suml2 - w * float(L[i]) * float(L[i]);
      const int nl = std::clamp(round_even(x[i] * sl2 / slx), -nmax, nmax - 1);
      if (nl == L[i]) continue;
      slx += w * x[i] * float(nl);
      sl2 += w * float(nl) * float(nl);
      if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
        L[i] = int8_t(nl);
        sumlx = slx;
        suml2 = sl2;
        ++changed;
      }
    }
    if (!changed) break;
  }
  for (int i = 0; i < n; ++i) L[i] = int8_t(L[i] + nmax);
  return sumlx / suml2;
}
}  // namespace

// Q3_K: per 16 elements fit_q3; the 16 scales quantized to 6 bits (biased by 32) against the one of
// largest magnitude (d = -max / 32); the values requantized with the stored scales. Layout: 32
// bytes of high-bit mask (element 32g + l: bit g of byte l), 64 bytes of 2-bit quants, 12 bytes of
// scales (scale k: low nibble in byte k % 8 (k >= 8: its high half), top 2 bits in byte 8 + k % 4
// at bit 2 (k / 4)), fp16 d.
void quantize_block_q3_k(const float* x, uint8_t* b) {
  int8_t L[QKK];
  float scales[16];
  float amax = 0, max_scale = 0;
  for (int j = 0; j < 16; ++j) {
    scales[j] = fit_q3(x + 16 * j, L + 16 * j);
    if (std::fabs(scales[j]) > amax) amax = std::fabs(scales[j]), max_scale = scales[j];
  }
  uint8_t* sc = b + 96;
  std::memset(sc, 0, 12);
  put_half(b + 108, 0.0f);
  if (max_scale != 0) {
    const float iscale = -32.0f / max_scale;
    for (int j = 0; j < 16; ++j) {
      const int l = std::clamp(round_even(iscale * scales[j]), -32, 31) + 32;
      if (j < 8) sc[j] = uint8_t(l & 0x0f);
      else sc[j - 8] = uint8_t(sc[j - 8] | ((l & 0x0f) << 4));
      sc[8 + j % 4] = uint8_t(sc[8 + j % 4] | ((l >> 4) << (2 * (j / 4))));
    }
    put_half(b + 108, 1 / iscale);
  }
  const float d = get_half(b + 108);
  for (int j = 0; j < 16; ++j) {
    const int s = (((j < 8 ? sc[j] : sc[j - 8] >> 4) & 0x0f) | (((sc[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
    const float dl = d * float(s);
    if (dl == 0) continue;
    for (int i = 0; i < 16; ++i) L[16 * j + i] = int8_t(std::clamp(round_even(x[16 * j + i] / dl), -4, 3) + 4);
  }
  uint8_t* hmask = b;
  std::memset(hmask, 0, 32);
  uint8_t low[QKK];
  for (int i = 0; i < QKK; ++i) {
    if (L[i] > 3) hmask[i % 32] = uint8_t(hmask[i % 32] | (1 << (i / 32)));
    low[i] = uint8_t(L[i] & 3);
  }
  pack_2bit(low, b + 32);
}

// Q6_K: per 16 elements a symmetric fit with 6-bit levels; the 16 scales quantized to int8 against
// the one of largest magnitude (d = -max / 128, so that one stores -128 .. 127); the values
// requantized with the stored scales. Layout: 128 bytes of low nibbles, 64 of 2-bit high parts,
// 16 int8 scales, fp16 d.
void quantize_block_q6_k(const float* x, uint8_t* b) {
  int8_t L[QKK];
  float scales[16];
  float max_abs = 0, max_scale = 0;
  for (int j = 0; j < 16; ++j) {
    scales[j] = fit_symmetric(16, 32, x + 16 * j, L + 16 * j);
    if (std::fabs(scales[j]) > max_abs) max_abs = std::fabs(scales[j]), max_scale = scales[j];
  }
  std::memset(b, 0, 210);
  if (max_abs < 1e-15f) return;  // an all-zero super-block: every byte 0 (d = 0)
  const float iscale = -128.0f / max_scale;
  put_half(b + 208, 1 / iscale);
  auto* sc = reinterpret_cast<int8_t*>(b + 192);
  for (int j = 0; j < 16; ++j) sc[j] = int8_t(std::min(127, round_even(iscale * scales[j])));
  const float d = get_half(b + 208);
  for (int j = 0; j < 16; ++j) {
    const float dl = d * float(sc[j]);
    if (dl == 0) continue;
    for (int i = 0; i < 16; ++i) L[16 * j + i] = int8_t(std::clamp(round_even(x[16 * j + i] / dl), -32, 31) + 32);
  }
  uint8_t* ql = b;
  uint8_t* qh = b + 128;
  for (int c = 0; c < 2; ++c) {
    const int8_t* Lc = L + 128 * c;
    for (int l = 0; l < QK; ++l) {
      ql[64 * c + l] = uint8_t((Lc[l] & 0x0f) | ((Lc[l + 64] & 0x0f) << 4));
      ql[64 * c + l + 32] = uint8_t((Lc[l + 32] & 0x0f) | ((Lc[l + 96] & 0x0f) << 4));
      qh[32 * c + l] = uint8_t((Lc[l] >> 4) | ((Lc[l + 32] >> 4) << 2) | ((Lc[l + 64] >> 4) << 4) | ((Lc[l + 96] >> 4) << 6));
    }
  }
}

}  // namespace transformers::detail
