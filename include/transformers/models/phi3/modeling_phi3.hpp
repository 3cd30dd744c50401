#pragma once
// Phi-3 (modeling_phi3.py, 4.51): Llama's modules with Phi-3's config view (fused projections,
// partial rotary, longrope). 4.51's Phi3ForCausalLM.prepare_inputs_for_generation drops the cache
// and recomputes the whole sequence at the step where a sequence that started within
// original_max_position_embeddings grows past it (the keys then switch to the long factors); a
// forward given such a cache here is refused with UnsupportedError instead of mixing the two.
#include <memory>
#include <optional>
#include <string>

#include "transformers/models/llama/modeling_llama.hpp"
#include "transformers/models/phi3/configuration_phi3.hpp"

namespace transformers {

// Registers Phi3Config (configuration_phi3.py defaults and checks) and the Phi-3 classes.
void register_phi3();

class Phi3Model : public LlamaModel {
 public:
  explicit Phi3Model(std::shared_ptr<PretrainedConfig> config)
      : LlamaModel(config, phi3_config_view(*config, "Phi3Model")) {}
  std::string name() const override { return "Phi3Model"; }
};

class Phi3ForCausalLM : public LlamaForCausalLM {
 public:
  explicit Phi3ForCausalLM(std::shared_ptr<PretrainedConfig> config);
  ModelOutput forward(const ModelInputs& inputs) override;
  std::string name() const override { return "Phi3ForCausalLM"; }

 private:
  // original_max_position_embeddings when config.rope_scaling is set (4.51's cache-drop condition).
  std::optional<int64_t> rope_switch_length_;
};

class Phi3ForSequenceClassification : public LlamaForSequenceClassification {
 public:
  explicit Phi3ForSequenceClassification(std::shared_ptr<PretrainedConfig> config)
      : LlamaForSequenceClassification(config, phi3_config_view(*config, "Phi3ForSequenceClassification"),
                                       std::make_shared<Phi3Model>(config)) {}
  std::string name() const override { return "Phi3ForSequenceClassification"; }
};

}  // namespace transformers
