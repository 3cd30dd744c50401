#pragma once
// OLMo 2 (modeling_olmo2.py, 4.51): Llama's modules with OLMo 2's config view (full-projection q/k
// norms, post-norms); only the class names differ.
#include <memory>
#include <string>

#include "transformers/models/llama/modeling_llama.hpp"
#include "transformers/models/olmo2/configuration_olmo2.hpp"

namespace transformers {

// Registers Olmo2Config (configuration_olmo2.py defaults and checks) and the OLMo 2 classes.
void register_olmo2();

class Olmo2Model : public LlamaModel {
 public:
  explicit Olmo2Model(std::shared_ptr<PretrainedConfig> config)
      : LlamaModel(config, olmo2_config_view(*config, "Olmo2Model")) {}
  std::string name() const override { return "Olmo2Model"; }
};

class Olmo2ForCausalLM : public LlamaForCausalLM {
 public:
  explicit Olmo2ForCausalLM(std::shared_ptr<PretrainedConfig> config)
      : LlamaForCausalLM(config, olmo2_config_view(*config, "Olmo2ForCausalLM"), std::make_shared<Olmo2Model>(config)) {}
  std::string name() const override { return "Olmo2ForCausalLM"; }
};

}  // namespace transformers
