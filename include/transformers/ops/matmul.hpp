#pragma once
// Matrix products. float32 goes to OpenBLAS (sgemm / sgemv), float64 to dgemm. float16/bfloat16
// accumulate in float32 and give the input dtype: few rows (decode) run our AVX-512/AVX2 GEMV
// kernels straight from the 16-bit weights; many rows convert weight panels to float32 for sgemm.
// Integer matmul runs plain int64 loops. Threads: the library pool (shared with OpenBLAS).
#include "transformers/core/tensor.hpp"

namespace transformers::ops {

// torch.matmul: 1-D x 1-D dot, 2-D x 2-D, 1-D operands promoted/unpromoted, broadcast batch dims.
Tensor matmul(const Tensor& a, const Tensor& b);
// Batched [B,M,K] x [B,K,N] (no broadcasting, like torch.bmm).
Tensor bmm(const Tensor& a, const Tensor& b);
// torch.nn.functional.linear: x [..., in] @ weight[out, in]^T + bias[out] (bias may be undefined).
// The model hot path: float32 weights use sgemm/sgemv, 16-bit weights our AVX-512/AVX2 kernels
// (x is converted to the weight's dtype first, as in PyTorch where both must match).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
// GPT-2's Conv1D: x [..., in] @ weight[in, out] + bias[out].
Tensor addmm_conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias);

}  // namespace transformers::ops
