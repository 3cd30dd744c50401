#pragma once
// Normalisations over the last dim.
#include "transformers/core/tensor.hpp"

namespace transformers::ops {

// torch.nn.functional.layer_norm over the last dim; weight/bias [D] may be undefined. Computed in
// float32 (float64 for float64), output in x's dtype.
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps);
// LlamaRMSNorm exactly: h = x.to(float32); h = h * rsqrt(mean(h^2, -1) + eps); h = h.to(x.dtype);
// return weight * h (so the result has the promoted dtype of weight and x, like PyTorch).
// weight may be undefined (then the normalised h is returned).
Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps);

}  // namespace transformers::ops
