#pragma once
// The CPU side of ops::fused_linear (transformers/ops/fused_linear.hpp): float32 nn.Linear with the
// GEMM epilogue (sgemm.hpp's GemmEpilogue).
#include "transformers/core/tensor.hpp"

namespace transformers::ops::detail {

// gelu?(x @ weight^T + bias) + residual for float32 CPU tensors (bias / residual may be undefined;
// residual must have the result's shape). An undefined result when this backend cannot fuse the
// call (no own GEMM at this level, few rows, unsupported layout): the caller runs the unfused ops.
Tensor linear_epilogue_f32(const Tensor& x, const Tensor& weight, const Tensor& bias, bool gelu,
                           const Tensor& residual);

}  // namespace transformers::ops::detail
