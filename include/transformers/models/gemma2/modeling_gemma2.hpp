#pragma once
// Gemma 2 (modeling_gemma2.py, 4.51): Llama's modules with Gemma 2's config view. Local layers mask
// keys older than the window at every length, cached or not: this equals 4.51's uncached forward and
// its HybridCache generate whenever the prompt is at least the window long. (4.51's HybridCache loses
// the first key and attends a zero slot once a shorter prompt grows past window - 1 tokens; here the
// attention stays exact -- tests/models/test_gemma.cpp checks both.)
#include <memory>
#include <string>

#include "transformers/models/gemma2/configuration_gemma2.hpp"
#include "transformers/models/llama/modeling_llama.hpp"

namespace transformers {

// Registers Gemma2Config (configuration_gemma2.py defaults) and the Gemma 2 classes.
void register_gemma2();

class Gemma2Model : public LlamaModel {
 public:
  explicit Gemma2Model(std::shared_ptr<PretrainedConfig> config)
      : LlamaModel(config, gemma2_config_view(*config, "Gemma2Model")) {}
  std::string name() const override { return "Gemma2Model"; }
};

class Gemma2ForCausalLM : public LlamaForCausalLM {
 public:
  explicit Gemma2ForCausalLM(std::shared_ptr<PretrainedConfig> config)
      : LlamaForCausalLM(config, gemma2_config_view(*config, "Gemma2ForCausalLM"),
                         std::make_shared<Gemma2Model>(config)) {}
  std::string name() const override { return "Gemma2ForCausalLM"; }
};

class Gemma2ForSequenceClassification : public LlamaForSequenceClassification {
 public:
  explicit Gemma2ForSequenceClassification(std::shared_ptr<PretrainedConfig> config)
      : LlamaForSequenceClassification(config, gemma2_config_view(*config, "Gemma2ForSequenceClassification"),
                                       std::make_shared<Gemma2Model>(config)) {}
  std::string name() const override { return "Gemma2ForSequenceClassification"; }
};

}  // namespace transformers
