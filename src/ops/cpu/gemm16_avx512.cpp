// avx512 kernels for 16-bit weights with float32 accumulation (only called when kernel_level() allows).
// bfloat16 -> float32 is a 16-bit left shift; float16 uses the F16C conversion.
#include <immintrin.h>

#include <cstring>

#include "ops/cpu/gemm16.hpp"

namespace transformers::ops::detail {

namespace {
constexpr int kW = 16;

inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
inline float hsum(__m512 v) { return _mm512_reduce_add_ps(v); }

template <bool kBf16>
inline __m512 load_w(const uint16_t* p) {
  if constexpr (kBf16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))), 16));
  else return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

using VT = __m512;
inline VT zero_v() { return _mm512_setzero_ps(); }
inline VT set1_v(float f) { return _mm512_set1_ps(f); }
inline VT fma_v(VT a, VT b, VT c) { return _mm512_fmadd_ps(a, b, c); }
inline VT add_v(VT a, VT b) { return _mm512_add_ps(a, b); }
inline VT loadu_v(const float* p) { return _mm512_loadu_ps(p); }
inline void storeu_v(float* p, VT v) { _mm512_storeu_ps(p, v); }
}  // namespace

#define GEMM16_NAME(base) base##_avx512
#include "ops/cpu/gemm16_kernels.inc"
#undef GEMM16_NAME

// kinds: 0 f32->bf16, 1 bf16->f32, 2 f32->f16, 3 f16->f32 (tails: scalar code local to this file).
void cvt_avx512(int kind, const void* src, void* dst, int64_t n) {
  const float* fs = static_cast<const float*>(src);
  const uint16_t* hs = static_cast<const uint16_t*>(src);
  float* fd = static_cast<float*>(dst);
  uint16_t* hd = static_cast<uint16_t*>(dst);
  int64_t i = 0;
  switch (kind) {
    case 0:
      for (; i + 16 <= n; i += 16) {
        const __m512 x = _mm512_loadu_ps(fs + i);
        const __m512i u = _mm512_castps_si512(x);
        const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
        __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), lsb)), 16);
        r = _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), r, _mm512_set1_epi32(0xffff));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(hd + i), _mm512_cvtepi32_epi16(r));
      }
      break;
    case 1:
      for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(fd + i, _mm512_castsi512_ps(_mm512_slli_epi32(
                                     _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(hs + i))), 16)));
      break;
    case 2:
      for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(hd + i), _mm512_cvtps_ph(_mm512_loadu_ps(fs + i), _MM_FROUND_TO_NEAREST_INT));
      break;
    default:
      for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(fd + i, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(hs + i))));
      break;
  }
  for (; i < n; ++i) {
    switch (kind) {
      case 0: {
        uint32_t u;
        std::memcpy(&u, fs + i, 4);
        hd[i] = (u & 0x7fffffffu) > 0x7f800000u ? uint16_t(0xffff) : uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
        break;
      }
      case 1: fd[i] = to_f32(hs[i], true); break;
      case 2: hd[i] = _cvtss_sh(fs[i], _MM_FROUND_TO_NEAREST_INT); break;
      default: fd[i] = to_f32(hs[i], false); break;
    }
  }
}

}  // namespace transformers::ops::detail
