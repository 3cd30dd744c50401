#pragma once
// Mistral (modeling_mistral.py, 4.51): Llama's modules with Mistral's config view (no biases, the
// sliding-window mask); only the class names differ.
#include <memory>
#include <string>

#include "transformers/models/llama/modeling_llama.hpp"
#include "transformers/models/mistral/configuration_mistral.hpp"

namespace transformers {

// Registers MistralConfig (configuration_mistral.py defaults) and the Mistral classes.
void register_mistral();

class MistralModel : public LlamaModel {
 public:
  explicit MistralModel(std::shared_ptr<PretrainedConfig> config)
      : LlamaModel(config, mistral_config_view(*config, "MistralModel")) {}
  std::string name() const override { return "MistralModel"; }
};

class MistralForCausalLM : public LlamaForCausalLM {
 public:
  explicit MistralForCausalLM(std::shared_ptr<PretrainedConfig> config)
      : LlamaForCausalLM(config, mistral_config_view(*config, "MistralForCausalLM"),
                         std::make_shared<MistralModel>(config)) {}
  std::string name() const override { return "MistralForCausalLM"; }
};

class MistralForSequenceClassification : public LlamaForSequenceClassification {
 public:
  explicit MistralForSequenceClassification(std::shared_ptr<PretrainedConfig> config)
      : LlamaForSequenceClassification(config, mistral_config_view(*config, "MistralForSequenceClassification"),
                                       std::make_shared<MistralModel>(config)) {}
  std::string name() const override { return "MistralForSequenceClassification"; }
};

}  // namespace transformers
