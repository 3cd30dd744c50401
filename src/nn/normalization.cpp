#include "transformers/nn/normalization.hpp"

#include "transformers/ops/elementwise.hpp"
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

RMSNorm::RMSNorm(int64_t hidden_size, double eps, DType dtype, std::string class_name, bool unit_offset_)
    : variance_epsilon(eps), unit_offset(unit_offset_), class_name_(std::move(class_name)) {
  weight = unit_offset ? Tensor::zeros({hidden_size}, dtype) : Tensor::ones({hidden_size}, dtype);
  register_parameter("weight", &weight);
}

Tensor RMSNorm::forward(const Tensor& x) const {
  if (!unit_offset) return ops::rms_norm(x, weight, variance_epsilon);
  // GemmaRMSNorm: everything in float32 and one rounding at the end (Llama rounds before the weight).
  const Tensor normed = ops::rms_norm(x.to(DType::Float32), Tensor(), variance_epsilon);
  return ops::mul(normed, ops::add(weight.to(DType::Float32), 1.0)).to(x.dtype());
}

}  // namespace transformers::nn
