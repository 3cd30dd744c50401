#pragma once
// Block-quantized weights against float32 activations (no activation rounding): each weight block is
// widened to float in registers and multiplied with the activations as they are, so the product is
// the float product of the dequantized weight up to the summation order. ops::linear takes it inside
// a QuantFloatActivationsGuard (the lm_head of a model kept quantized: its argmax is what greedy
// decoding keeps, and int8 activations there moved SmolLM2's tokens off 4.51's; docs/gguf.md).
// Included by quant_gemm_impl.hpp, so it is built per level with that level's flags: the code is
// written once on GCC's 16-lane generic vectors, which the AVX-512 levels run as zmm registers,
// AVX2 as pairs of ymm and the scalar level as SSE quadruples. The operations are the same at every
// level; only whether a * b + c is fused (the FMA levels) differs, far below the tests' bound.
#include <cstring>

#include "ops/cpu/quant_gemm.hpp"

// The 64-byte generic vectors are wider than the AVX2 and scalar levels' registers; every function
// passing them has internal linkage and is always inlined, so the ABI note -Wpsabi gives is moot.
#pragma GCC diagnostic ignored "-Wpsabi"
// GCC 12 flags the undefined source operand inside its own _mm512_cvtepi32_ps / cvtepi8 wrappers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace transformers::ops::detail {
namespace {

typedef float V16 __attribute__((vector_size(64)));
typedef int8_t B16 __attribute__((vector_size(16)));
typedef uint8_t U32 __attribute__((vector_size(32)));

// 16 int8 as 16 floats. GCC 12 scalarises __builtin_convertvector from int8 (16 vcvtsi2ss per call,
// measured as the hot spot of a SmolLM2 decode step), so the SIMD levels widen by intrinsics.
__attribute__((always_inline)) inline V16 widen(const void* p) {
#if defined(__AVX512F__)
  // (zero-masked: the unmasked form trips GCC 12's -Wmaybe-uninitialized on its undefined source)
  return V16(_mm512_cvtepi32_ps(_mm512_maskz_cvtepi8_epi32(0xffff, _mm_loadu_si128(static_cast<const __m128i*>(p)))));
#elif defined(__AVX2__)
  const __m128i b = _mm_loadu_si128(static_cast<const __m128i*>(p));
  const __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
  const __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(b, b)));
  V16 v;
  std::memcpy(&v, &lo, 32);
  std::memcpy(reinterpret_cast<char*>(&v) + 32, &hi, 32);
  return v;
#else
  B16 b;
  std::memcpy(&b, p, 16);
  return __builtin_convertvector(b, V16);
#endif
}
__attribute__((always_inline)) inline V16 loadf(const float* p) {
  V16 v;
  std::memcpy(&v, p, 64);
  return v;
}
__attribute__((always_inline)) inline float sum16(V16 v) {
  // pairwise, so the reduction is the same tree at every level
  typedef float V8 __attribute__((vector_size(32)));
  V8 a, b;
  std::memcpy(&a, &v, 32);
  std::memcpy(&b, reinterpret_cast<const char*>(&v) + 32, 32);
  const V8 s = a + b;
  return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

// Q8_0: w = d * q (34-byte blocks: fp16 d, 32 int8). Two accumulators over alternate blocks.
template <KernelLevel L>
float row_f32act_q8_0(const uint8_t* w, const float* x, int64_t K) {
  const int64_t nb = K / 32;
  V16 acc[2] = {V16{}, V16{}};
  for (int64_t b = 0; b < nb; b += 2)
    for (int64_t i = 0; i < 2 && b + i < nb; ++i) {  // two independent accumulator chains
      const uint8_t* wb = w + (b + i) * 34;
      const float* xb = x + (b + i) * 32;
      acc[i] += (widen(wb + 2) * loadf(xb) + widen(wb + 18) * loadf(xb + 16)) * QOps<L>::half(wb);
    }
  return sum16(acc[0] + acc[1]);
}

// Q6_K: super-blocks of 256 (ql[128] low nibbles, qh[64] high 2-bit pairs, 16 int8 scales, fp16 d);
// element c*128 + j*32 + l has q = nibble | 2 bits << 4 as row_q6_k unpacks it, w = d*scale*(q-32).
template <KernelLevel L>
float row_f32act_q6_k(const uint8_t* w, const float* x, int64_t K) {
  using O = QOps<L>;
  V16 acc[2] = {V16{}, V16{}};
  for (int64_t sb = 0; sb < K / 256; ++sb, w += 210) {
    const uint8_t* ql = w;
    const uint8_t* qh = w + 128;
    const int8_t* scales = reinterpret_cast<const int8_t*>(w + 192);
    const float d = QOps<L>::half(w + 208);
    for (int c = 0; c < 2; ++c)
      for (int j = 0; j < 4; ++j) {
        // the level's unpacking (byte shifts of generic vectors are scalarised by GCC 12), then q - 32
        // as int8 (two's complement) through memory, where widen() reads 16 bytes at a time
        const auto q = O::or_shl4(O::nib(ql + c * 64 + (j % 2) * 32, j / 2), O::bits2(qh + c * 32, j));
        U32 s;
        std::memcpy(&s, &q, 32);
        s -= 32;
        const float* xb = x + sb * 256 + c * 128 + j * 32;
        const V16 t0 = widen(&s) * loadf(xb), t1 = widen(reinterpret_cast<const char*>(&s) + 16) * loadf(xb + 16);
        acc[j & 1] += t0 * (d * float(scales[8 * c + 2 * j])) + t1 * (d * float(scales[8 * c + 2 * j + 1]));
      }
  }
  return sum16(acc[0] + acc[1]);
}

template <KernelLevel L>
void gemm_f32act(DType wt, const uint8_t* w, int64_t row_bytes, const float* x, int64_t M, int64_t K, float* y,
                 int64_t ldy, int64_t n0, int64_t n1) {
  float (*row)(const uint8_t*, const float*, int64_t) = nullptr;
  switch (wt) {
    case DType::Q8_0: row = row_f32act_q8_0<L>; break;
    case DType::Q6_K: row = row_f32act_q6_k<L>; break;
    default: return;  // the front end only passes quant_gemm_f32act_supported types
  }
  for (int64_t n = n0; n < n1; ++n) {
    const uint8_t* wr = w + n * row_bytes;
    if (n + 1 < n1) _mm_prefetch(reinterpret_cast<const char*>(wr + row_bytes), _MM_HINT_T0);
    for (int64_t m = 0; m < M; ++m) y[m * ldy + n] = row(wr, x + m * K, K);
  }
}

}  // namespace
}  // namespace transformers::ops::detail
