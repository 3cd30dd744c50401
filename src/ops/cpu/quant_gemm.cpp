// The scalar level of the block-quantized GEMM, the table of every level, and the activation
// quantizer all levels share (so the integer dot products are the same at every level).
#include "ops/cpu/quant_gemm.hpp"

// The scalar level's 32-byte generic vectors are wider than baseline registers; every function
// passing them has internal linkage, so the ABI note -Wpsabi gives at the instantiations is moot.
#pragma GCC diagnostic ignored "-Wpsabi"

#include <emmintrin.h>

#include <cmath>

#include "core/isa/level_table.hpp"
#include "ops/cpu/quant_gemm_impl.hpp"
#include "ops/cpu/quant_gemm_q235.hpp"

namespace transformers::ops::detail {

template const QuantKernels& quant_kernels<KernelLevel::Scalar>();

const QuantKernels& current_quant_kernels() {
  static const isa::LevelTable<QuantKernels> table{
      {KernelLevel::Scalar, &quant_kernels<KernelLevel::Scalar>()},
      {KernelLevel::Avx2, &quant_kernels<KernelLevel::Avx2>()},
      {KernelLevel::Avx512, &quant_kernels<KernelLevel::Avx512>()},
      {KernelLevel::Avx512Vnni, &quant_kernels<KernelLevel::Avx512Vnni>()},
  };
  return table.current();
}

bool quant_gemm_supported(DType wt) {
  return wt == DType::Q8_0 || wt == DType::Q4_0 || wt == DType::Q4_1 || wt == DType::Q4_K || wt == DType::Q6_K ||
         quant_gemm_q235_supported(wt);
}

bool quant_gemm_f32act_supported(DType wt) { return wt == DType::Q8_0 || wt == DType::Q6_K; }

// SSE2 (the baseline, so every level shares it): the operations of the scalar definition, element
// for element. max|x| is exact in any order; x * (1/d) is the same float32 product; cvtps2dq rounds
// half to even as nearbyint does in the default rounding mode; clamping to +-127 before rounding
// gives what clamping after does (127 is an integer). About 6x fewer instructions than the scalar
// loop with its libm nearbyint calls (30 layers x 4 quantizations per SmolLM2 token).
bool quantize_rows_q8(const float* x, int64_t M, int64_t K, QuantizedRows& out) {
  const int64_t nb = K / 32;
  out.M = M;
  out.K = K;
  out.q.resize(size_t(M * K));
  out.d.resize(size_t(M * nb));
  out.sum.resize(size_t(M * nb));
  out.sum16.resize(size_t(M * nb * 2));
  const __m128 sign = _mm_set1_ps(-0.0f), hi = _mm_set1_ps(127.0f), lo = _mm_set1_ps(-127.0f);
  for (int64_t b = 0; b < M * nb; ++b) {
    const float* xb = x + b * 32;  // rows are whole blocks, so blocks run on across rows
    __m128 v[8];
    __m128 bad = _mm_setzero_ps(), amax = _mm_setzero_ps();
    for (int j = 0; j < 8; ++j) {
      v[j] = _mm_loadu_ps(xb + 4 * j);
      const __m128 t = _mm_sub_ps(v[j], v[j]);  // 0 when finite, NaN for infinities and NaN
      bad = _mm_or_ps(bad, _mm_cmpunord_ps(t, t));
      amax = _mm_max_ps(amax, _mm_andnot_ps(sign, v[j]));
    }
    if (_mm_movemask_ps(bad)) return false;
    amax = _mm_max_ps(amax, _mm_shuffle_ps(amax, amax, _MM_SHUFFLE(1, 0, 3, 2)));
    amax = _mm_max_ps(amax, _mm_shuffle_ps(amax, amax, _MM_SHUFFLE(2, 3, 0, 1)));
    // d = amax / 127: the largest element maps to +-127 exactly; a zero block stays zero.
    const float d = _mm_cvtss_f32(amax) / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
    const __m128 vid = _mm_set1_ps(id);
    __m128i qi[8];
    for (int j = 0; j < 8; ++j) qi[j] = _mm_cvtps_epi32(_mm_min_ps(_mm_max_ps(_mm_mul_ps(v[j], vid), lo), hi));
    int8_t* q = out.q.data() + b * 32;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q),
                     _mm_packs_epi16(_mm_packs_epi32(qi[0], qi[1]), _mm_packs_epi32(qi[2], qi[3])));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 16),
                     _mm_packs_epi16(_mm_packs_epi32(qi[4], qi[5]), _mm_packs_epi32(qi[6], qi[7])));
    int32_t s[2];
    for (int h = 0; h < 2; ++h) {
      __m128i a = _mm_add_epi32(_mm_add_epi32(qi[4 * h], qi[4 * h + 1]), _mm_add_epi32(qi[4 * h + 2], qi[4 * h + 3]));
      a = _mm_add_epi32(a, _mm_shuffle_epi32(a, _MM_SHUFFLE(1, 0, 3, 2)));
      a = _mm_add_epi32(a, _mm_shuffle_epi32(a, _MM_SHUFFLE(2, 3, 0, 1)));
      s[h] = _mm_cvtsi128_si32(a);
    }
    out.d[size_t(b)] = d;
    out.sum16[size_t(2 * b)] = s[0];
    out.sum16[size_t(2 * b + 1)] = s[1];
    out.sum[size_t(b)] = s[0] + s[1];
  }
  return true;
}

}  // namespace transformers::ops::detail
