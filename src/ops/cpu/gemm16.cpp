// Portable paths and the dispatcher of the 16-bit weight kernels.
#include "ops/cpu/gemm16.hpp"

#include "transformers/core/cpu_features.hpp"
#include "transformers/core/dtype.hpp"

namespace transformers::ops::detail {

void gemv16_scalar(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, bool is_bf16,
                   const float* bias, float* y, int64_t ldy, int64_t n0, int64_t n1) {
  for (int64_t n = n0; n < n1; ++n) {
    const uint16_t* wr = w + n * ldw;
    for (int64_t m = 0; m < M; ++m) {
      const float* xr = x + m * K;
      float acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += xr[k] * (is_bf16 ? bf16_to_float(wr[k]) : fp16_to_float(wr[k]));
      y[m * ldy + n] = bias ? acc + bias[n] : acc;
    }
  }
}

void gemv16(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, bool is_bf16, const float* bias,
            float* y, int64_t ldy, int64_t n0, int64_t n1) {
  switch (kernel_level()) {
    case KernelLevel::Avx512: gemv16_avx512(x, M, K, w, ldw, is_bf16, bias, y, ldy, n0, n1); return;
    case KernelLevel::Avx2: gemv16_avx2(x, M, K, w, ldw, is_bf16, bias, y, ldy, n0, n1); return;
    default: gemv16_scalar(x, M, K, w, ldw, is_bf16, bias, y, ldy, n0, n1); return;
  }
}

void convert16_rows(const uint16_t* src, int64_t ld, bool is_bf16, float* dst, int64_t ldd, int64_t cols, int64_t r0,
                    int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    const uint16_t* s = src + r * ld;
    float* d = dst + r * ldd;
    if (is_bf16)
      for (int64_t c = 0; c < cols; ++c) d[c] = bits_float(uint32_t(s[c]) << 16);
    else
      for (int64_t c = 0; c < cols; ++c) d[c] = fp16_to_float(s[c]);
  }
}

}  // namespace transformers::ops::detail

namespace transformers::ops::detail {

// kinds: 0 f32->bf16, 1 bf16->f32, 2 f32->f16, 3 f16->f32
bool convert_fast(const void* src, DType sd, void* dst, DType dd, int64_t n) {
  int kind = -1;
  if (sd == DType::Float32 && dd == DType::BFloat16) kind = 0;
  else if (sd == DType::BFloat16 && dd == DType::Float32) kind = 1;
  else if (sd == DType::Float32 && dd == DType::Float16) kind = 2;
  else if (sd == DType::Float16 && dd == DType::Float32) kind = 3;
  if (kind < 0) return false;
  switch (kernel_level()) {
    case KernelLevel::Avx512: cvt_avx512(kind, src, dst, n); return true;
    case KernelLevel::Avx2: cvt_avx2(kind, src, dst, n); return true;
    default: return false;
  }
}

}  // namespace transformers::ops::detail

namespace transformers::ops::detail {

void gemv16_kn(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, bool is_bf16, const float* bias,
               float* y, int64_t ldy, int64_t n0, int64_t n1) {
  switch (kernel_level()) {
    case KernelLevel::Avx512: gemv16_kn_avx512(x, M, K, w, ldw, is_bf16, bias, y, ldy, n0, n1); return;
    case KernelLevel::Avx2: gemv16_kn_avx2(x, M, K, w, ldw, is_bf16, bias, y, ldy, n0, n1); return;
    default: break;
  }
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = n0; n < n1; ++n) {
      float s = 0.0f;
      for (int64_t k = 0; k < K; ++k)
        s += x[m * K + k] * (is_bf16 ? bf16_to_float(w[k * ldw + n]) : fp16_to_float(w[k * ldw + n]));
      y[m * ldy + n] = bias ? s + bias[n] : s;
    }
}

}  // namespace transformers::ops::detail
