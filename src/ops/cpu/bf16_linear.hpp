#pragma once
// linear / addmm_conv1d with a bf16 weight on the native bf16 kernels (bf16_gemm.hpp).
#include "transformers/core/tensor.hpp"

namespace transformers::ops::detail {

// y = x @ B + bias with B(k, n) = w[n, k] (nn.Linear, kn_layout false) or w[k, n] (GPT-2's Conv1D,
// kn_layout true); x bf16 [..., K] (already cast to the weight's dtype, as the model's own cast
// would), bias bf16-rounded; float32 accumulation, the result rounded once to bf16 like the
// widening path's. An undefined tensor when the native path does not apply (no avx512bf16 level,
// A/B switch off, weight without a unit stride, or a few-row product on a weight not cached
// packed, where packing per call would cost more than it saves): the caller runs its own path.
// Arguments are checked by the caller.
Tensor linear_bf16_native(const Tensor& x, const Tensor& w, bool kn_layout, const Tensor& bias);

}  // namespace transformers::ops::detail
