// MistralConfig (the __init__ defaults of configuration_mistral.py, 4.51; no attribute_map) and
// the Mistral model classes in the registry the Auto classes read.
#include "transformers/models/mistral/modeling_mistral.hpp"

#include "../config_init.hpp"

namespace transformers {

void register_mistral() {
  ConfigClassInfo cfg;
  cfg.model_type = "mistral";
  cfg.class_name = "MistralConfig";
  cfg.defaults = {{"vocab_size", 32000},
                  {"hidden_size", 4096},
                  {"intermediate_size", 14336},
                  {"num_hidden_layers", 32},
                  {"num_attention_heads", 32},
                  {"num_key_value_heads", 8},
                  {"head_dim", 128},  // None -> hidden_size // num_attention_heads (derive_attributes)
                  {"hidden_act", "silu"},
                  {"max_position_embeddings", 4096 * 32},
                  {"initializer_range", 0.02},
                  {"rms_norm_eps", 1e-6},
                  {"use_cache", true},
                  {"pad_token_id", nullptr},
                  {"bos_token_id", 1},
                  {"eos_token_id", 2},
                  {"tie_word_embeddings", false},
                  {"rope_theta", 10000.0},
                  {"sliding_window", 4096},
                  {"attention_dropout", 0.0}};
  // MistralConfig.__init__ derives head_dim (and an explicit None num_key_value_heads); the module
  // tree is Llama's, so the parameter count is too
  cfg.derive_attributes = models_detail::mistral_derive_attributes;
  cfg.base_model_num_parameters = models_detail::llama_base_model_num_parameters;
  register_config_class(std::move(cfg));

  register_model_class(
      {"mistral", "MistralModel", {"AutoModel"}, [](auto c) { return std::make_shared<MistralModel>(c); }});
  register_model_class({"mistral", "MistralForCausalLM", {"AutoModelForCausalLM"},
                        [](auto c) { return std::make_shared<MistralForCausalLM>(c); }});
  register_model_class({"mistral", "MistralForSequenceClassification", {"AutoModelForSequenceClassification"},
                        [](auto c) { return std::make_shared<MistralForSequenceClassification>(c); }});
}

}  // namespace transformers
