#pragma once
// Kernels for float16/bfloat16 weights with float32 accumulation (gemm16_impl.hpp, one per kernel
// level: plain loops at the scalar level, AVX2 / AVX-512 vectors above).
#include <cstdint>

#include "ops/cpu/isa_kernels.hpp"
#include "transformers/core/tensor.hpp"

namespace transformers::ops::detail {

// For n in [n0, n1) and m in [0, M):  y[m*ldy + n] = sum_k x[m*K + k] * w[n*ldw + k]  (+ bias[n] if
// bias != nullptr). x is float32 [M, K] contiguous; w holds 16-bit floats (bf16 if is_bf16, else
// IEEE half). M is small (the decode GEMV path); w is streamed once per call.
inline void gemv16(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, bool is_bf16,
                   const float* bias, float* y, int64_t ldy, int64_t n0, int64_t n1) {
  current_isa_kernels().gemv16(x, M, K, w, ldw, is_bf16, bias, y, ldy, n0, n1);
}

// Conv1D layout: y[m*ldy + n] = sum_k x[m*K + k] * w[k*ldw + n] (+ bias[n]) for n in [n0, n1).
inline void gemv16_kn(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, bool is_bf16,
                      const float* bias, float* y, int64_t ldy, int64_t n0, int64_t n1) {
  current_isa_kernels().gemv16_kn(x, M, K, w, ldw, is_bf16, bias, y, ldy, n0, n1);
}

// Converts rows [r0, r1) of a 16-bit matrix (row stride ld) to float32 rows of length cols.
inline void convert16_rows(const uint16_t* src, int64_t ld, bool is_bf16, float* dst, int64_t ldd, int64_t cols,
                           int64_t r0, int64_t r1) {
  const DType dt = is_bf16 ? DType::BFloat16 : DType::Float16;
  for (int64_t r = r0; r < r1; ++r) convert_contiguous(src + r * ld, dt, dst + r * ldd, DType::Float32, cols);
}

}  // namespace transformers::ops::detail
