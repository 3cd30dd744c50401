#include "transformers/nn/mlp.hpp"

#include "transformers/ops/elementwise.hpp"

namespace transformers::nn {

GatedMLP::GatedMLP(int64_t hidden, int64_t inter, std::string hidden_act, bool bias, DType dtype,
                   std::string class_name, bool fused_gate_up)
    : act_fn(std::move(hidden_act)), class_name_(std::move(class_name)) {
  if (fused_gate_up) {
    gate_up_proj = register_module("gate_up_proj", std::make_shared<Linear>(hidden, 2 * inter, bias, dtype));
  } else {
    gate_proj = register_module("gate_proj", std::make_shared<Linear>(hidden, inter, bias, dtype));
    up_proj = register_module("up_proj", std::make_shared<Linear>(hidden, inter, bias, dtype));
  }
  down_proj = register_module("down_proj", std::make_shared<Linear>(inter, hidden, bias, dtype));
}

Tensor GatedMLP::forward(const Tensor& x) const {
  if (gate_up_proj) {  // Phi3MLP: gate, up = gate_up_proj(x).chunk(2, -1); up * act(gate)
    const Tensor gu = gate_up_proj->forward(x);
    const int64_t inter = gu.size(-1) / 2;
    const Tensor gate = gu.narrow(gu.dim() - 1, 0, inter), up = gu.narrow(gu.dim() - 1, inter, inter);
    return down_proj->forward(ops::mul(up, ops::activation(gate, act_fn)));
  }
  return down_proj->forward(ops::mul(ops::activation(gate_proj->forward(x), act_fn), up_proj->forward(x)));
}

}  // namespace transformers::nn
