// Scalar dequantizers of the GGML block types. Each follows the element order and float32
// arithmetic of gguf-py's numpy code (gguf/quants.py): a product of two float32 values is rounded
// before the next operation, as numpy does; the library's baseline x86-64 build has no FMA to
// contract them (ISA-specific files are the *_avx2/_avx512 ones, cmake/isa_flags.cmake).
#include "transformers/core/quant_blocks.hpp"

#include "core/quantize_kquants.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "transformers/core/error.hpp"
#include "transformers/core/parallel.hpp"

namespace transformers {

namespace {

constexpr int QK = 32;    // elements per block of the simple types
constexpr int QKK = 256;  // elements per super-block of the k-quants

inline float half_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return fp16_to_float(h);
}

// Q8_0: fp16 d, 32 x int8. x = q * d.
void q8_0(const uint8_t* b, float* y) {
  const float d = half_at(b);
  for (int j = 0; j < QK; ++j) y[j] = float(int8_t(b[2 + j])) * d;
}

// Q4_0: fp16 d, 16 bytes of nibbles: element j < 16 is the low nibble of byte j, element 16 + j
// the high nibble. x = d * (q - 8).
void q4_0(const uint8_t* b, float* y) {
  const float d = half_at(b);
  const uint8_t* qs = b + 2;
  for (int j = 0; j < QK / 2; ++j) {
    y[j] = d * float(int(qs[j] & 0x0f) - 8);
    y[j + QK / 2] = d * float(int(qs[j] >> 4) - 8);
  }
}

// Q4_1: fp16 d, fp16 m, nibbles as Q4_0. x = d * q + m.
void q4_1(const uint8_t* b, float* y) {
  const float d = half_at(b), m = half_at(b + 2);
  const uint8_t* qs = b + 4;
  for (int j = 0; j < QK / 2; ++j) {
    y[j] = d * float(qs[j] & 0x0f) + m;
    y[j + QK / 2] = d * float(qs[j] >> 4) + m;
  }
}

// Fifth bits of the Q5 types: bit j of a little-endian uint32 belongs to element j.
inline uint32_t u32_at(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Q5_0: fp16 d, uint32 high bits, nibbles as Q4_0. x = d * (q - 16).
void q5_0(const uint8_t* b, float* y) {
  const float d = half_at(b);
  const uint32_t qh = u32_at(b + 2);
  const uint8_t* qs = b + 6;
  for (int j = 0; j < QK / 2; ++j) {
    const int lo = (qs[j] & 0x0f) | int(((qh >> j) & 1u) << 4);
    const int hi = (qs[j] >> 4) | int(((qh >> (j + QK / 2)) & 1u) << 4);
    y[j] = d * float(lo - 16);
    y[j + QK / 2] = d * float(hi - 16);
  }
}

// Q5_1: fp16 d, fp16 m, uint32 high bits, nibbles. x = d * q + m.
void q5_1(const uint8_t* b, float* y) {
  const float d = half_at(b), m = half_at(b + 2);
  const uint32_t qh = u32_at(b + 4);
  const uint8_t* qs = b + 8;
  for (int j = 0; j < QK / 2; ++j) {
    const int lo = (qs[j] & 0x0f) | int(((qh >> j) & 1u) << 4);
    const int hi = (qs[j] >> 4) | int(((qh >> (j + QK / 2)) & 1u) << 4);
    y[j] = d * float(lo) + m;
    y[j + QK / 2] = d * float(hi) + m;
  }
}

// Q2_K: 16 scale bytes (low nibble: scale, high nibble: min, one per 16 elements), 64 bytes of
// 2-bit values, fp16 d, fp16 dmin. Element c*128 + s*32 + l is bits 2s..2s+1 of byte c*32 + l.
// x = (d * sc) * q - (dmin * mn).
void q2_k(const uint8_t* b, float* y) {
  const uint8_t* scales = b;
  const uint8_t* qs = b + 16;
  const float d = half_at(b + 80), dmin = half_at(b + 82);
  for (int i = 0; i < QKK; ++i) {
    const int c = i / 128, s = (i / 32) % 4, l = i % 32;
    const int q = (qs[c * 32 + l] >> (2 * s)) & 3;
    const uint8_t sc = scales[i / 16];
    const float dl = d * float(sc & 0x0f), ml = dmin * float(sc >> 4);
    y[i] = dl * float(q) - ml;
  }
}

// Q3_K: 32 bytes of high-bit mask, 64 bytes of 2-bit values, 12 bytes of 6-bit scales, fp16 d.
// Scale k (one per 16 elements): low 4 bits from byte k (k < 8) or the high nibble of byte k - 8,
// high 2 bits from byte 8 + k % 4 at bit 2 * (k / 4); minus 32. The value's third bit is the mask
// bit of element s*32 + l (byte l, bit s), inverted: a clear bit subtracts 4.
void q3_k(const uint8_t* b, float* y) {
  const uint8_t* hmask = b;
  const uint8_t* qs = b + 32;
  const uint8_t* sc = b + 96;
  const float d = half_at(b + 108);
  float dl[16];
  for (int k = 0; k < 16; ++k) {
    const int lo = (k < 8 ? sc[k] : sc[k - 8] >> 4) & 0x0f;
    const int hi = (sc[8 + k % 4] >> (2 * (k / 4))) & 3;
    dl[k] = d * float(int8_t(uint8_t(lo | (hi << 4))) - 32);
  }
  for (int i = 0; i < QKK; ++i) {
    const int c = i / 128, s = (i / 32) % 4, l = i % 32;
    const int ql = (qs[c * 32 + l] >> (2 * s)) & 3;
    const int h = ((hmask[l] >> (i / 32)) & 1) ^ 1;
    y[i] = dl[i / 16] * float(ql - (h << 2));
  }
}

// Q4_K: fp16 d, fp16 dmin, 12 scale bytes, 128 bytes of nibbles. Sub-block g = 2c + h (32
// elements): nibble h of byte c*32 + l. x = (d * sc) * q - (dmin * mn).
void q4_k(const uint8_t* b, float* y) {
  const float d = half_at(b), dmin = half_at(b + 2);
  uint8_t sc[8], mn[8];
  k_scale_min(b + 4, sc, mn);
  const uint8_t* qs = b + 16;
  for (int g = 0; g < 8; ++g) {
    const float dl = d * float(sc[g]), ml = dmin * float(mn[g]);
    const int c = g / 2, h = g % 2;
    for (int l = 0; l < 32; ++l) y[g * 32 + l] = dl * float((qs[c * 32 + l] >> (4 * h)) & 0x0f) - ml;
  }
}

// Q5_K: as Q4_K with 32 bytes of fifth bits before the nibbles: element g*32 + l takes bit g of
// byte l.
void q5_k(const uint8_t* b, float* y) {
  const float d = half_at(b), dmin = half_at(b + 2);
  uint8_t sc[8], mn[8];
  k_scale_min(b + 4, sc, mn);
  const uint8_t* qh = b + 16;
  const uint8_t* qs = b + 48;
  for (int g = 0; g < 8; ++g) {
    const float dl = d * float(sc[g]), ml = dmin * float(mn[g]);
    const int c = g / 2, h = g % 2;
    for (int l = 0; l < 32; ++l) {
      const int q = ((qs[c * 32 + l] >> (4 * h)) & 0x0f) | (((qh[l] >> g) & 1) << 4);
      y[g * 32 + l] = dl * float(q) - ml;
    }
  }
}

// Q6_K: 128 bytes of low nibbles, 64 bytes of 2-bit high parts, 16 int8 scales, fp16 d. Element
// i = c*128 + h*64 + m takes nibble h of byte c*64 + m; its high bits are bits 2s..2s+1 of byte
// c*32 + l with i = c*128 + s*32 + l. x = (d * scale[i / 16]) * (q - 32).
void q6_k(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const int8_t* scales = reinterpret_cast<const int8_t*>(b + 192);
  const float d = half_at(b + 208);
  for (int i = 0; i < QKK; ++i) {
    const int c = i / 128, r = i % 128;
    const int lo = (ql[c * 64 + r % 64] >> (4 * (r / 64))) & 0x0f;
    const int hi = (qh[c * 32 + r % 32] >> (2 * (r / 32))) & 3;
    const float dl = d * float(scales[i / 16]);
    y[i] = dl * float(int8_t(uint8_t(lo | (hi << 4))) - 32);
  }
}

using BlockFn = void (*)(const uint8_t*, float*);

BlockFn block_fn(DType dt) {
  switch (dt) {
    case DType::Q8_0: return q8_0;
    case DType::Q4_0: return q4_0;
    case DType::Q4_1: return q4_1;
    case DType::Q5_0: return q5_0;
    case DType::Q5_1: return q5_1;
    case DType::Q2_K: return q2_k;
    case DType::Q3_K: return q3_k;
    case DType::Q4_K: return q4_k;
    case DType::Q5_K: return q5_k;
    case DType::Q6_K: return q6_k;
    default: return nullptr;
  }
}

// gguf-py's np_roundf: half away from zero, in float32 steps.
float roundf_away(float n) {
  const float a = std::fabs(n), fl = std::floor(a);
  const float b = fl + std::floor(2.0f * (a - fl));
  return n > 0 ? b : n < 0 ? -b : 0.0f * b;
}

void put_half(uint8_t* p, float f) {
  const uint16_t h = float_to_fp16(f);
  std::memcpy(p, &h, 2);
}

// Q8_0: d = max|x| / 127, q = roundf(x / d) (x * (1 / d) in float32).
void quantize_q8_0(const float* x, uint8_t* b) {
  float amax = 0;
  for (int j = 0; j < QK; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f, id = d == 0 ? 0.0f : 1.0f / d;
  put_half(b, d);
  for (int j = 0; j < QK; ++j) b[2 + j] = uint8_t(int8_t(roundf_away(x[j] * id)));
}

// Q4_0: d = (the element of largest magnitude, first one) / -8, q = min(15, trunc(x / d + 8.5)).
void quantize_q4_0(const float* x, uint8_t* b) {
  int imax = 0;
  for (int j = 1; j < QK; ++j)
    if (std::fabs(x[j]) > std::fabs(x[imax])) imax = j;
  const float d = x[imax] / -8.0f, id = d == 0 ? 0.0f : 1.0f / d;
  put_half(b, d);
  uint8_t q[QK];
  for (int j = 0; j < QK; ++j) {
    const float v = std::trunc(x[j] * id + 8.5f);
    q[j] = uint8_t(std::min(15.0f, std::max(0.0f, v)));
  }
  for (int j = 0; j < QK / 2; ++j) b[2 + j] = uint8_t(q[j] | (q[j + QK / 2] << 4));
}

using QuantizeFn = void (*)(const float*, uint8_t*);

QuantizeFn quantize_fn(DType dt) {
  switch (dt) {
    case DType::Q8_0: return quantize_q8_0;
    case DType::Q4_0: return quantize_q4_0;
    case DType::Q4_1: return detail::quantize_block_q4_1;
    case DType::Q5_0: return detail::quantize_block_q5_0;
    case DType::Q5_1: return detail::quantize_block_q5_1;
    case DType::Q2_K: return detail::quantize_block_q2_k;
    case DType::Q3_K: return detail::quantize_block_q3_k;
    case DType::Q4_K: return detail::quantize_block_q4_k;
    case DType::Q5_K: return detail::quantize_block_q5_k;
    case DType::Q6_K: return detail::quantize_block_q6_k;
    default: return nullptr;
  }
}

}  // namespace

void quantize_blocks(DType dt, const float* src, void* dst, int64_t numel) {
  const QuantizeFn fn = quantize_fn(dt);
  if (!fn)
    throw ValueError("quantize_blocks: expected q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k, q4_k, q5_k or q6_k, found " +
                     std::string(dtype_name(dt)));
  const DTypeTraits& t = dtype_traits(dt);
  if (numel < 0 || numel % t.block_elems != 0)
    throw ValueError("quantize_blocks: " + std::string(t.name) + " stores whole blocks of " +
                     std::to_string(t.block_elems) + " elements, found " + std::to_string(numel) + " elements");
  auto* d = static_cast<uint8_t*>(dst);
  parallel_for(0, numel / t.block_elems, 256, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) fn(src + i * t.block_elems, d + i * t.block_bytes);
  });
}

void dequantize_blocks(DType dt, const void* src, float* dst, int64_t numel) {
  const BlockFn fn = block_fn(dt);
  if (!fn)
    throw ValueError("dequantize_blocks: expected a block-quantized dtype, found " + std::string(dtype_name(dt)));
  const DTypeTraits& t = dtype_traits(dt);
  if (numel < 0 || numel % t.block_elems != 0)
    throw ValueError("dequantize_blocks: " + std::string(t.name) + " stores whole blocks of " +
                     std::to_string(t.block_elems) + " elements, found " + std::to_string(numel) + " elements");
  const auto* s = static_cast<const uint8_t*>(src);
  const int64_t blocks = numel / t.block_elems;
  // Loading dequantizes whole weight matrices: split the blocks over the pool (each block is
  // independent, so the result does not depend on the split).
  parallel_for(0, blocks, 256, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) fn(s + i * t.block_bytes, dst + i * t.block_elems);
  });
}

}  // namespace transformers
