#pragma once
// Qwen2 (modeling_qwen2.py, 4.51): Llama's modules with Qwen2's config view (q/k/v biases, the
// sliding-window mask); only the class names differ.
#include <memory>
#include <string>

#include "transformers/models/llama/modeling_llama.hpp"
#include "transformers/models/qwen2/configuration_qwen2.hpp"

namespace transformers {

// Registers Qwen2Config (configuration_qwen2.py defaults) and the Qwen2 classes.
void register_qwen2();

class Qwen2Model : public LlamaModel {
 public:
  explicit Qwen2Model(std::shared_ptr<PretrainedConfig> config)
      : LlamaModel(config, qwen2_config_view(*config, "Qwen2Model")) {}
  std::string name() const override { return "Qwen2Model"; }
};

class Qwen2ForCausalLM : public LlamaForCausalLM {
 public:
  explicit Qwen2ForCausalLM(std::shared_ptr<PretrainedConfig> config)
      : LlamaForCausalLM(config, qwen2_config_view(*config, "Qwen2ForCausalLM"), std::make_shared<Qwen2Model>(config)) {}
  std::string name() const override { return "Qwen2ForCausalLM"; }
};

class Qwen2ForSequenceClassification : public LlamaForSequenceClassification {
 public:
  explicit Qwen2ForSequenceClassification(std::shared_ptr<PretrainedConfig> config)
      : LlamaForSequenceClassification(config, qwen2_config_view(*config, "Qwen2ForSequenceClassification"),
                                       std::make_shared<Qwen2Model>(config)) {}
  std::string name() const override { return "Qwen2ForSequenceClassification"; }
};

}  // namespace transformers
