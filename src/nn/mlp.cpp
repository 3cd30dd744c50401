#include "transformers/nn/mlp.hpp"

#include "transformers/ops/elementwise.hpp"

namespace transformers::nn {

GatedMLP::GatedMLP(int64_t hidden, int64_t inter, std::string hidden_act, bool bias, DType dtype,
                   std::string class_name)
    : act_fn(std::move(hidden_act)), class_name_(std::move(class_name)) {
  gate_proj = register_module("gate_proj", std::make_shared<Linear>(hidden, inter, bias, dtype));
  up_proj = register_module("up_proj", std::make_shared<Linear>(hidden, inter, bias, dtype));
  down_proj = register_module("down_proj", std::make_shared<Linear>(inter, hidden, bias, dtype));
}

Tensor GatedMLP::forward(const Tensor& x) const {
  return down_proj->forward(ops::mul(ops::activation(gate_proj->forward(x), act_fn), up_proj->forward(x)));
}

}  // namespace transformers::nn
