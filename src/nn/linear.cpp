#include "transformers/nn/linear.hpp"

#include "transformers/ops/matmul.hpp"

namespace transformers::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool has_bias, DType dtype) {
  if (in_features < 0 || out_features < 0)
    throw ValueError("Linear: features must be non-negative, found in=" + std::to_string(in_features) +
                     " out=" + std::to_string(out_features));
  weight = Tensor::zeros({out_features, in_features}, dtype);
  if (has_bias) bias = Tensor::zeros({out_features}, dtype);
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
}

Tensor Linear::forward(const Tensor& x) const {
  Tensor y = ops::linear(input_hook ? input_hook(x) : x, weight, bias);
  return output_hook ? output_hook(y) : y;
}

Conv1D::Conv1D(int64_t nf, int64_t nx, DType dtype) {
  if (nf < 0 || nx < 0)
    throw ValueError("Conv1D: sizes must be non-negative, found nf=" + std::to_string(nf) + " nx=" + std::to_string(nx));
  weight = Tensor::zeros({nx, nf}, dtype);
  bias = Tensor::zeros({nf}, dtype);
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
}

Tensor Conv1D::forward(const Tensor& x) const { return ops::addmm_conv1d(x, weight, bias); }

}  // namespace transformers::nn
