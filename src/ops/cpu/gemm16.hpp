#pragma once
// Kernels for float16/bfloat16 weights with float32 accumulation (scalar / AVX2 / AVX-512 variants,
// chosen by kernel_level()). They work on raw pointers so the ISA files carry no shared templates.
#include <cstdint>

#include "transformers/core/dtype.hpp"

namespace transformers::ops::detail {

// For n in [n0, n1) and m in [0, M):  y[m*ldy + n] = sum_k x[m*K + k] * w[n*ldw + k]  (+ bias[n] if
// bias != nullptr). x is float32 [M, K] contiguous; w holds 16-bit floats (bf16 if is_bf16, else
// IEEE half). M is small (the decode GEMV path); w is streamed once per call.
void gemv16(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, bool is_bf16, const float* bias,
            float* y, int64_t ldy, int64_t n0, int64_t n1);
// Converts rows [r0, r1) of a 16-bit matrix (row stride ld) to float32 rows of length cols.
void convert16_rows(const uint16_t* src, int64_t ld, bool is_bf16, float* dst, int64_t ldd, int64_t cols, int64_t r0,
                    int64_t r1);

// Per-level entry points (defined in gemm16.cpp, gemm16_avx2.cpp, gemm16_avx512.cpp).
void gemv16_scalar(const float*, int64_t, int64_t, const uint16_t*, int64_t, bool, const float*, float*, int64_t,
                   int64_t, int64_t);
void gemv16_avx2(const float*, int64_t, int64_t, const uint16_t*, int64_t, bool, const float*, float*, int64_t,
                 int64_t, int64_t);
void gemv16_avx512(const float*, int64_t, int64_t, const uint16_t*, int64_t, bool, const float*, float*, int64_t,
                   int64_t, int64_t);

}  // namespace transformers::ops::detail

namespace transformers::ops::detail {
// Vectorised float32 <-> bfloat16/float16 conversion of n contiguous elements, bit-identical to the
// core's scalar conversions (round to nearest even; bf16 NaN -> 0xffff like torch). Returns false
// when this pair of dtypes or the kernel level has no vector path (the caller converts).
bool convert_fast(const void* src, DType src_dtype, void* dst, DType dst_dtype, int64_t n);
// Conv1D layout: y[m*ldy + n] = sum_k x[m*K + k] * w[k*ldw + n] (+ bias[n]) for n in [n0, n1).
void gemv16_kn(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, bool is_bf16, const float* bias,
               float* y, int64_t ldy, int64_t n0, int64_t n1);
void gemv16_kn_avx2(const float*, int64_t, int64_t, const uint16_t*, int64_t, bool, const float*, float*, int64_t,
                    int64_t, int64_t);
void gemv16_kn_avx512(const float*, int64_t, int64_t, const uint16_t*, int64_t, bool, const float*, float*, int64_t,
                      int64_t, int64_t);
void cvt_avx2(int kind, const void* src, void* dst, int64_t n);
void cvt_avx512(int kind, const void* src, void* dst, int64_t n);
}  // namespace transformers::ops::detail
