#pragma once
// Qwen2-MoE (modeling_qwen2_moe.py, 4.51): Qwen2's attention and decoder layer with the sparse MoE
// block of Qwen2MoeSparseMoeBlock (router gate, experts.N.{gate,up,down}_proj, shared_expert,
// shared_expert_gate) in place of the MLP on its sparse layers. With output_router_logits the
// outputs carry the sparse layers' router logits and the LM's aux_loss (load_balancing_loss_func,
// added to the loss times router_aux_loss_coef when labels are given).
#include <memory>
#include <string>

#include "transformers/models/llama/modeling_llama.hpp"
#include "transformers/models/qwen2_moe/configuration_qwen2_moe.hpp"

namespace transformers {

// Registers Qwen2MoeConfig (configuration_qwen2_moe.py defaults) and the Qwen2-MoE classes.
void register_qwen2_moe();

class Qwen2MoeModel : public LlamaModel {
 public:
  explicit Qwen2MoeModel(std::shared_ptr<PretrainedConfig> config)
      : LlamaModel(config, qwen2_moe_config_view(*config, "Qwen2MoeModel")) {}
  std::string name() const override { return "Qwen2MoeModel"; }
};

class Qwen2MoeForCausalLM : public LlamaForCausalLM {
 public:
  explicit Qwen2MoeForCausalLM(std::shared_ptr<PretrainedConfig> config)
      : LlamaForCausalLM(config, qwen2_moe_config_view(*config, "Qwen2MoeForCausalLM"),
                         std::make_shared<Qwen2MoeModel>(config)) {}
  std::string name() const override { return "Qwen2MoeForCausalLM"; }
};

class Qwen2MoeForSequenceClassification : public LlamaForSequenceClassification {
 public:
  explicit Qwen2MoeForSequenceClassification(std::shared_ptr<PretrainedConfig> config)
      : LlamaForSequenceClassification(config, qwen2_moe_config_view(*config, "Qwen2MoeForSequenceClassification"),
                                       std::make_shared<Qwen2MoeModel>(config)) {}
  std::string name() const override { return "Qwen2MoeForSequenceClassification"; }
};

}  // namespace transformers
