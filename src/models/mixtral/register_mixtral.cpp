// MixtralConfig (configuration_mixtral.py, 4.51: Mistral's arguments with its changes and the MoE
// ones; no attribute_map) and the Mixtral model classes in the registry the Auto classes read.
#include "transformers/models/mixtral/modeling_mixtral.hpp"

#include "../config_init.hpp"

namespace transformers {

void register_mixtral() {
  // MixtralConfig.__init__ is MistralConfig's (Llama's without pretraining_tp, rope_scaling and the
  // biases) with rms_norm_eps 1e-5, rope_theta 1e6, no sliding window, and the router arguments.
  register_config_class({.model_type = "mixtral",
                         .class_name = "MixtralConfig",
                         .defaults = models_detail::defaults_from(
                             models_detail::llama_config_defaults(),
                             {{"intermediate_size", 14336}, {"num_key_value_heads", 8},
                              {"max_position_embeddings", 4096 * 32}, {"rms_norm_eps", 1e-5},
                              {"rope_theta", 1e6}, {"sliding_window", nullptr}, {"num_experts_per_tok", 2},
                              {"num_local_experts", 8}, {"output_router_logits", false},
                              {"router_aux_loss_coef", 0.001}, {"router_jitter_noise", 0.0}},
                             {"pretraining_tp", "rope_scaling", "attention_bias", "mlp_bias"}),
                         .derive_attributes = models_detail::mistral_derive_attributes,
                         .base_model_num_parameters = models_detail::mixtral_base_model_num_parameters});

  register_model_class(
      {"mixtral", "MixtralModel", {"AutoModel"}, [](auto c) { return std::make_shared<MixtralModel>(c); }});
  register_model_class({"mixtral", "MixtralForCausalLM", {"AutoModelForCausalLM"},
                        [](auto c) { return std::make_shared<MixtralForCausalLM>(c); }});
  register_model_class({"mixtral", "MixtralForSequenceClassification", {"AutoModelForSequenceClassification"},
                        [](auto c) { return std::make_shared<MixtralForSequenceClassification>(c); }});
}

}  // namespace transformers
