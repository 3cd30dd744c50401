#pragma once
// Mixtral (modeling_mixtral.py, 4.51): Mistral's attention and decoder layer with a sparse MoE block
// (block_sparse_moe: router gate + experts.N.{w1,w2,w3}, nn/sparse_moe.hpp) in place of the MLP.
// With output_router_logits the outputs carry every layer's router logits and the LM's aux_loss
// (load_balancing_loss_func, added to the loss times router_aux_loss_coef when labels are given).
#include <memory>
#include <string>

#include "transformers/models/llama/modeling_llama.hpp"
#include "transformers/models/mixtral/configuration_mixtral.hpp"

namespace transformers {

// Registers MixtralConfig (configuration_mixtral.py defaults) and the Mixtral classes.
void register_mixtral();

class MixtralModel : public LlamaModel {
 public:
  explicit MixtralModel(std::shared_ptr<PretrainedConfig> config)
      : LlamaModel(config, mixtral_config_view(*config, "MixtralModel")) {}
  std::string name() const override { return "MixtralModel"; }
};

class MixtralForCausalLM : public LlamaForCausalLM {
 public:
  explicit MixtralForCausalLM(std::shared_ptr<PretrainedConfig> config)
      : LlamaForCausalLM(config, mixtral_config_view(*config, "MixtralForCausalLM"),
                         std::make_shared<MixtralModel>(config)) {}
  std::string name() const override { return "MixtralForCausalLM"; }
};

class MixtralForSequenceClassification : public LlamaForSequenceClassification {
 public:
  explicit MixtralForSequenceClassification(std::shared_ptr<PretrainedConfig> config)
      : LlamaForSequenceClassification(config, mixtral_config_view(*config, "MixtralForSequenceClassification"),
                                       std::make_shared<MixtralModel>(config)) {}
  std::string name() const override { return "MixtralForSequenceClassification"; }
};

}  // namespace transformers
