#pragma once
// matmul of two bf16 matrices on the native vdpbf16ps kernels (bf16_gemm.hpp), for the products
// whose operands are both activations or gradients (the backward of a bf16 Linear / Conv1D under
// autocast: grad @ W and grad^T @ x), where neither side is a cached weight.
#include "transformers/core/tensor.hpp"

namespace transformers::ops::detail {

// a [M, K] @ b [K, N], both bf16 with any strides: float32 accumulation, the result rounded once
// to bf16 (as torch's bf16 mm on CPU). b is packed per call, a is read in place when its rows are
// contiguous and transposed into a bf16 copy otherwise. An undefined tensor when the native path
// does not apply (no avx512bf16 level, the A/B switch TRANSFORMERS_BF16_DOT=0, or a product too
// small for a per-call pack to pay off): the caller then runs its widening path.
Tensor matmul_bf16_native(const Tensor& a, const Tensor& b);
// The same for a [..., M, K] @ b [..., K, N] with equal batch dims (attention's per-head products
// under autocast), the slices in parallel. Undefined where matmul_bf16_native would be.
Tensor bmm_bf16_native(const Tensor& a, const Tensor& b);

}  // namespace transformers::ops::detail
