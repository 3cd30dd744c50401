#pragma once
// Products with GGML block-quantized weights kept as blocks (issue 21): y = x @ W^T where W [N, K]
// is Q8_0, Q4_0, Q4_1, Q4_K or Q6_K (Q5_0, Q5_1, Q2_K, Q3_K, Q5_K: quant_gemm_q235.hpp). The
// activations are quantized to int8 per block of 32 (one float scale per block, round to nearest,
// |q| <= 127), so each weight block meets its activation block as an exact integer dot product
// scaled once in float32: the weight is read as stored (2-8x fewer bytes than float32), which is
// what bounds decode. The kernels (quant_gemm_impl.hpp) exist per level: scalar loops, AVX2
// (maddubs), AVX-512 (the same 256-bit code with EVEX encoding) and AVX-512 VNNI (vpdpbusd). The
// error against the float product of the dequantized weight is the activation rounding alone: at
// most sum_k |w_k| * d_block(k) / 2 (tests/ops/test_quant_gemm.cpp).
#include <cstdint>
#include <vector>

#include "transformers/core/cpu_features.hpp"
#include "transformers/core/dtype.hpp"
#include "transformers/core/tensor.hpp"

namespace transformers::ops::detail {

// M rows of K activations (K a multiple of 32) as int8 blocks: x[m][k] ~= d[m][k/32] * q[m][k].
struct QuantizedRows {
  int64_t M = 0, K = 0;
  std::vector<int8_t> q;       // [M, K]
  std::vector<float> d;        // [M, K / 32]
  std::vector<int32_t> sum;    // [M, K / 32]: sum of q over the block (for the types' offsets)
  std::vector<int32_t> sum16;  // [M, K / 16]: the same over halves (Q6_K's 16-element scales)
};
// Returns false (and leaves `out` unusable) when a value is not finite: the caller then computes in
// float so that NaN and infinity propagate as they do through the dequantized product.
bool quantize_rows_q8(const float* x, int64_t M, int64_t K, QuantizedRows& out);

struct QuantKernels {
  // y[m * ldy + n] = sum_k x[m][k] * W[n][k] for n in [n0, n1), every m; W's rows are `row_bytes`
  // apart starting at `w`. `wt` is one of the types quant_gemm_supported() accepts.
  void (*gemm)(DType wt, const uint8_t* w, int64_t row_bytes, const QuantizedRows& x, float* y, int64_t ldy,
               int64_t n0, int64_t n1);
  // The same product with the activations as float32 (M rows of K, row-major): no activation
  // rounding (quant_gemm_f32act_impl.hpp). `wt` is one of quant_gemm_f32act_supported()'s types.
  void (*gemm_f32act)(DType wt, const uint8_t* w, int64_t row_bytes, const float* x, int64_t M, int64_t K, float* y,
                      int64_t ldy, int64_t n0, int64_t n1);
};

template <KernelLevel L>
const QuantKernels& quant_kernels();
extern template const QuantKernels& quant_kernels<KernelLevel::Scalar>();
extern template const QuantKernels& quant_kernels<KernelLevel::Avx2>();
extern template const QuantKernels& quant_kernels<KernelLevel::Avx512>();
extern template const QuantKernels& quant_kernels<KernelLevel::Avx512Vnni>();

// The set of the current kernel level (TRANSFORMERS_KERNEL / force_kernel_level lower it).
const QuantKernels& current_quant_kernels();

// Whether the block type has native kernels (others are dequantized to float32 by ops::linear).
bool quant_gemm_supported(DType wt);
// Whether it also has a kernel on float32 activations (Q8_0, Q6_K: the types of a GGUF lm_head).
bool quant_gemm_f32act_supported(DType wt);

// ops::linear for a block-quantized weight [N, K] (shapes already checked by the caller): the
// native kernels when the type has them and x has at most 16 rows, else the float32 product of
// the dequantized weight (a temporary copy: prefill-sized products run faster on the float GEMM).
// Inside a QuantFloatActivationsGuard the float-activation kernels run instead where the type has
// one. The result has x's floating dtype.
Tensor linear_quantized(const Tensor& x, const Tensor& weight, const Tensor& bias);

}  // namespace transformers::ops::detail
