#pragma once
// Gemma 3 text (modeling_gemma3.py, 4.51: Gemma3TextModel, Gemma3ForCausalLM): Llama's modules with
// Gemma 3's config view (model_type gemma3_text). Local layers mask keys older than the window at
// every length, as for Gemma 2 (see modeling_gemma2.hpp for how that relates to 4.51's HybridCache).
// The multimodal Gemma3ForConditionalGeneration is not here.
#include <memory>
#include <string>

#include "transformers/models/gemma3/configuration_gemma3.hpp"
#include "transformers/models/llama/modeling_llama.hpp"

namespace transformers {

// Registers Gemma3TextConfig (configuration_gemma3.py defaults) and the Gemma 3 text classes.
void register_gemma3();

class Gemma3TextModel : public LlamaModel {
 public:
  explicit Gemma3TextModel(std::shared_ptr<PretrainedConfig> config)
      : LlamaModel(config, gemma3_text_config_view(*config, "Gemma3TextModel")) {}
  std::string name() const override { return "Gemma3TextModel"; }
};

class Gemma3ForCausalLM : public LlamaForCausalLM {
 public:
  explicit Gemma3ForCausalLM(std::shared_ptr<PretrainedConfig> config)
      : LlamaForCausalLM(config, gemma3_text_config_view(*config, "Gemma3ForCausalLM"),
                         std::make_shared<Gemma3TextModel>(config)) {}
  std::string name() const override { return "Gemma3ForCausalLM"; }
};

}  // namespace transformers
