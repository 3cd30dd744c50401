// LlamaConfig (the __init__ defaults of configuration_llama.py, 4.51) and the Llama model classes
// in the registry the Auto classes read.
#include "../config_init.hpp"
#include "transformers/models/llama/modeling_llama.hpp"

namespace transformers {

const json& models_detail::llama_config_defaults() {
  static const json defaults = {{"vocab_size", 32000},
                                {"hidden_size", 4096},
                                {"intermediate_size", 11008},
                                {"num_hidden_layers", 32},
                                {"num_attention_heads", 32},
                                {"num_key_value_heads", 32},  // None -> num_attention_heads (derive_attributes)
                                {"hidden_act", "silu"},
                                {"max_position_embeddings", 2048},
                                {"initializer_range", 0.02},
                                {"rms_norm_eps", 1e-6},
                                {"use_cache", true},
                                {"pad_token_id", nullptr},
                                {"bos_token_id", 1},
                                {"eos_token_id", 2},
                                {"pretraining_tp", 1},
                                {"tie_word_embeddings", false},
                                {"rope_theta", 10000.0},
                                {"rope_scaling", nullptr},
                                {"attention_bias", false},
                                {"attention_dropout", 0.0},
                                {"mlp_bias", false},
                                {"head_dim", 128}};  // None -> hidden_size // num_attention_heads (derive_attributes)
  return defaults;
}

void register_llama() {
  register_config_class({.model_type = "llama",
                         .class_name = "LlamaConfig",
                         .defaults = models_detail::llama_config_defaults(),
                         .derive_attributes = models_detail::llama_derive_attributes,
                         .base_model_num_parameters = models_detail::llama_base_model_num_parameters});

  register_model_class({"llama", "LlamaModel", {"AutoModel"}, [](auto c) { return std::make_shared<LlamaModel>(c); }});
  register_model_class({"llama", "LlamaForCausalLM", {"AutoModelForCausalLM"},
                        [](auto c) { return std::make_shared<LlamaForCausalLM>(c); }});
  register_model_class({"llama", "LlamaForSequenceClassification", {"AutoModelForSequenceClassification"},
                        [](auto c) { return std::make_shared<LlamaForSequenceClassification>(c); }});
}

}  // namespace transformers
