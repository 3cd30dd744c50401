#pragma once
// ops::linear / addmm_conv1d with a weight that has an int8 copy (transformers/ops/int8.hpp): the
// copies kept with the weight's storage, and the product on the int8 kernels (int8_gemm.hpp).
#include <memory>

#include "ops/cpu/int8_gemm.hpp"
#include "transformers/core/tensor.hpp"

namespace transformers::ops::detail {

// Keeps `q` for this view of `w` in this layout (nullptr: drops it).
void set_int8_weight(const Tensor& w, bool kn_layout, std::shared_ptr<const Int8Weight> q);
// The copy for this view and layout; nullptr when there is none.
std::shared_ptr<const Int8Weight> int8_weight(const Tensor& w, bool kn_layout);
int64_t int8_weight_bytes(const Tensor& w);

// y = x @ W^T + bias on the int8 kernels when `w` (this view, this layout) has an int8 copy and x
// is finite; otherwise an undefined tensor (the caller runs the float32 product). Shapes are
// checked by the caller; the result is float32 [..., N].
Tensor linear_int8(const Tensor& x, const Tensor& w, bool kn_layout, const Tensor& bias);

}  // namespace transformers::ops::detail
