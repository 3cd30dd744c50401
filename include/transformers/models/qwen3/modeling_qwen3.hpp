#pragma once
// Qwen3 (modeling_qwen3.py, 4.51): Llama's modules with Qwen3's config view (q_norm / k_norm per head,
// attention_bias on all four projections, the sliding-window mask); only the class names differ.
#include <memory>
#include <string>

#include "transformers/models/llama/modeling_llama.hpp"
#include "transformers/models/qwen3/configuration_qwen3.hpp"

namespace transformers {

// Registers Qwen3Config (configuration_qwen3.py defaults) and the Qwen3 classes.
void register_qwen3();

class Qwen3Model : public LlamaModel {
 public:
  explicit Qwen3Model(std::shared_ptr<PretrainedConfig> config)
      : LlamaModel(config, qwen3_config_view(*config, "Qwen3Model")) {}
  std::string name() const override { return "Qwen3Model"; }
};

class Qwen3ForCausalLM : public LlamaForCausalLM {
 public:
  explicit Qwen3ForCausalLM(std::shared_ptr<PretrainedConfig> config)
      : LlamaForCausalLM(config, qwen3_config_view(*config, "Qwen3ForCausalLM"), std::make_shared<Qwen3Model>(config)) {}
  std::string name() const override { return "Qwen3ForCausalLM"; }
};

class Qwen3ForSequenceClassification : public LlamaForSequenceClassification {
 public:
  explicit Qwen3ForSequenceClassification(std::shared_ptr<PretrainedConfig> config)
      : LlamaForSequenceClassification(config, qwen3_config_view(*config, "Qwen3ForSequenceClassification"),
                                       std::make_shared<Qwen3Model>(config)) {}
  std::string name() const override { return "Qwen3ForSequenceClassification"; }
};

}  // namespace transformers
