#pragma once
// MLP blocks shared across architectures. GatedMLP is LlamaMLP (and Mistral/Qwen2's):
// down_proj(act(gate_proj(x)) * up_proj(x)), children named as Hugging Face names them. With
// fused_gate_up (Phi3MLP) one gate_up_proj holds the gate rows then the up rows.
#include <memory>
#include <string>

#include "transformers/nn/linear.hpp"

namespace transformers::nn {

class GatedMLP : public Module {
 public:
  GatedMLP(int64_t hidden_size, int64_t intermediate_size, std::string hidden_act, bool bias = false,
           DType dtype = DType::Float32, std::string class_name = "LlamaMLP", bool fused_gate_up = false);
  Tensor forward(const Tensor& x) const;
  Tensor operator()(const Tensor& x) const { return forward(x); }
  std::string name() const override { return class_name_; }

  std::shared_ptr<Linear> gate_proj, up_proj, down_proj;
  std::shared_ptr<Linear> gate_up_proj;  // fused_gate_up only (then gate_proj / up_proj are null)
  std::string act_fn;  // ACT2FN name

 private:
  std::string class_name_;
};

}  // namespace transformers::nn
