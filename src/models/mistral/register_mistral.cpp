// MistralConfig (configuration_mistral.py, 4.51: Llama's defaults with its changes; no attribute_map)
// and the Mistral model classes in the registry the Auto classes read.
#include "transformers/models/mistral/modeling_mistral.hpp"

#include "../config_init.hpp"

namespace transformers {

void register_mistral() {
  // MistralConfig.__init__ is LlamaConfig's without pretraining_tp, rope_scaling and the biases;
  // it derives head_dim (and an explicit None num_key_value_heads); the module tree is Llama's, so
  // the parameter count is too.
  register_config_class({.model_type = "mistral",
                         .class_name = "MistralConfig",
                         .defaults = models_detail::defaults_from(
                             models_detail::llama_config_defaults(),
                             {{"intermediate_size", 14336}, {"num_key_value_heads", 8},
                              {"max_position_embeddings", 4096 * 32}, {"sliding_window", 4096}},
                             {"pretraining_tp", "rope_scaling", "attention_bias", "mlp_bias"}),
                         .derive_attributes = models_detail::mistral_derive_attributes,
                         .base_model_num_parameters = models_detail::llama_base_model_num_parameters});

  register_model_class(
      {"mistral", "MistralModel", {"AutoModel"}, [](auto c) { return std::make_shared<MistralModel>(c); }});
  register_model_class({"mistral", "MistralForCausalLM", {"AutoModelForCausalLM"},
                        [](auto c) { return std::make_shared<MistralForCausalLM>(c); }});
  register_model_class({"mistral", "MistralForSequenceClassification", {"AutoModelForSequenceClassification"},
                        [](auto c) { return std::make_shared<MistralForSequenceClassification>(c); }});
}

}  // namespace transformers
