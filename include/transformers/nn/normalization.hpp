#pragma once
// torch.nn.LayerNorm and LlamaRMSNorm (the RMSNorm every Llama-family model uses).
#include "transformers/nn/module.hpp"

namespace transformers::nn {

class LayerNorm : public Module {
 public:
  // weight ones, bias zeros, like torch.
  LayerNorm(int64_t normalized_shape, double eps = 1e-5, bool elementwise_affine = true, bool bias = true,
            DType dtype = DType::Float32);
  Tensor forward(const Tensor& x) const;
  Tensor operator()(const Tensor& x) const { return forward(x); }
  std::string name() const override { return "LayerNorm"; }

  Tensor weight;
  Tensor bias;
  double eps;
};

// LlamaRMSNorm: x.to(float32) * rsqrt(mean(x^2) + eps), back to x's dtype, times weight.
// unit_offset (GemmaRMSNorm): the weight starts at zero and the normalised float32 x is multiplied
// by (1 + weight.float()) before the cast back to x's dtype.
class RMSNorm : public Module {
 public:
  RMSNorm(int64_t hidden_size, double eps = 1e-6, DType dtype = DType::Float32,
          std::string class_name = "LlamaRMSNorm", bool unit_offset = false);
  Tensor forward(const Tensor& x) const;
  Tensor operator()(const Tensor& x) const { return forward(x); }
  std::string name() const override { return class_name_; }

  Tensor weight;
  double variance_epsilon;
  bool unit_offset;

 private:
  std::string class_name_;
};

}  // namespace transformers::nn
