#include "transformers/nn/normalization.hpp"

#include "transformers/ops/norm.hpp"

namespace transformers::nn {

LayerNorm::LayerNorm(int64_t n, double eps_, bool elementwise_affine, bool has_bias, DType dtype) : eps(eps_) {
  if (elementwise_affine) {
    weight = Tensor::ones({n}, dtype);
    if (has_bias) bias = Tensor::zeros({n}, dtype);
  }
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
}

Tensor LayerNorm::forward(const Tensor& x) const { return ops::layer_norm(x, weight, bias, eps); }

RMSNorm::RMSNorm(int64_t hidden_size, double eps, DType dtype, std::string class_name)
    : variance_epsilon(eps), class_name_(std::move(class_name)) {
  weight = Tensor::ones({hidden_size}, dtype);
  register_parameter("weight", &weight);
}

Tensor RMSNorm::forward(const Tensor& x) const { return ops::rms_norm(x, weight, variance_epsilon); }

}  // namespace transformers::nn
