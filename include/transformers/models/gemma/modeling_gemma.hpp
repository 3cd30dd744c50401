#pragma once
// Gemma (modeling_gemma.py, 4.51): Llama's modules with Gemma's config view ((1 + weight) RMSNorm,
// sqrt(hidden_size) embedding scale, GeGLU through hidden_act); only the class names differ.
#include <memory>
#include <string>

#include "transformers/models/gemma/configuration_gemma.hpp"
#include "transformers/models/llama/modeling_llama.hpp"

namespace transformers {

// Registers GemmaConfig (configuration_gemma.py defaults) and the Gemma classes.
void register_gemma();

class GemmaModel : public LlamaModel {
 public:
  explicit GemmaModel(std::shared_ptr<PretrainedConfig> config)
      : LlamaModel(config, gemma_config_view(*config, "GemmaModel")) {}
  std::string name() const override { return "GemmaModel"; }
};

class GemmaForCausalLM : public LlamaForCausalLM {
 public:
  explicit GemmaForCausalLM(std::shared_ptr<PretrainedConfig> config)
      : LlamaForCausalLM(config, gemma_config_view(*config, "GemmaForCausalLM"), std::make_shared<GemmaModel>(config)) {}
  std::string name() const override { return "GemmaForCausalLM"; }
};

class GemmaForSequenceClassification : public LlamaForSequenceClassification {
 public:
  explicit GemmaForSequenceClassification(std::shared_ptr<PretrainedConfig> config)
      : LlamaForSequenceClassification(config, gemma_config_view(*config, "GemmaForSequenceClassification"),
                                       std::make_shared<GemmaModel>(config)) {}
  std::string name() const override { return "GemmaForSequenceClassification"; }
};

}  // namespace transformers
