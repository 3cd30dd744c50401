// GemmaConfig (the __init__ defaults of configuration_gemma.py, 4.51; no attribute_map) and the
// Gemma model classes in the registry the Auto classes read.
#include "transformers/models/gemma/modeling_gemma.hpp"

#include "../config_init.hpp"

namespace transformers {

// GemmaConfig.__init__ is LlamaConfig's with Gemma's sizes and token ids, tied embeddings and the
// hidden_activation argument, without pretraining_tp, rope_scaling and mlp_bias.
const json& models_detail::gemma_config_defaults() {
  static const json defaults = defaults_from(
      llama_config_defaults(),
      {{"vocab_size", 256000}, {"hidden_size", 3072}, {"intermediate_size", 24576}, {"num_hidden_layers", 28},
       {"num_attention_heads", 16}, {"num_key_value_heads", 16}, {"head_dim", 256},
       {"hidden_act", "gelu_pytorch_tanh"}, {"hidden_activation", nullptr}, {"max_position_embeddings", 8192},
       {"pad_token_id", 0}, {"eos_token_id", 1}, {"bos_token_id", 2}, {"tie_word_embeddings", true}},
      {"pretraining_tp", "rope_scaling", "mlp_bias"});
  return defaults;
}

void register_gemma() {
  // The module tree is Llama's (no MLP bias key), so the parameter count is too.
  register_config_class({.model_type = "gemma",
                         .class_name = "GemmaConfig",
                         .defaults = models_detail::gemma_config_defaults(),
                         .base_model_num_parameters = models_detail::llama_base_model_num_parameters});

  register_model_class({"gemma", "GemmaModel", {"AutoModel"}, [](auto c) { return std::make_shared<GemmaModel>(c); }});
  register_model_class({"gemma", "GemmaForCausalLM", {"AutoModelForCausalLM"},
                        [](auto c) { return std::make_shared<GemmaForCausalLM>(c); }});
  register_model_class({"gemma", "GemmaForSequenceClassification", {"AutoModelForSequenceClassification"},
                        [](auto c) { return std::make_shared<GemmaForSequenceClassification>(c); }});
}

}  // namespace transformers
