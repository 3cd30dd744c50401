// GemmaConfig (the __init__ defaults of configuration_gemma.py, 4.51; no attribute_map) and the
// Gemma model classes in the registry the Auto classes read.
#include "transformers/models/gemma/modeling_gemma.hpp"

#include "../config_init.hpp"

namespace transformers {

void register_gemma() {
  ConfigClassInfo cfg;
  cfg.model_type = "gemma";
  cfg.class_name = "GemmaConfig";
  cfg.defaults = {{"vocab_size", 256000},
                  {"hidden_size", 3072},
                  {"intermediate_size", 24576},
                  {"num_hidden_layers", 28},
                  {"num_attention_heads", 16},
                  {"num_key_value_heads", 16},
                  {"head_dim", 256},
                  {"hidden_act", "gelu_pytorch_tanh"},
                  {"hidden_activation", nullptr},
                  {"max_position_embeddings", 8192},
                  {"initializer_range", 0.02},
                  {"rms_norm_eps", 1e-6},
                  {"use_cache", true},
                  {"pad_token_id", 0},
                  {"eos_token_id", 1},
                  {"bos_token_id", 2},
                  {"tie_word_embeddings", true},
                  {"rope_theta", 10000.0},
                  {"attention_bias", false},
                  {"attention_dropout", 0.0}};
  // The module tree is Llama's (no MLP bias key), so the parameter count is too.
  cfg.base_model_num_parameters = models_detail::llama_base_model_num_parameters;
  register_config_class(std::move(cfg));

  register_model_class({"gemma", "GemmaModel", {"AutoModel"}, [](auto c) { return std::make_shared<GemmaModel>(c); }});
  register_model_class({"gemma", "GemmaForCausalLM", {"AutoModelForCausalLM"},
                        [](auto c) { return std::make_shared<GemmaForCausalLM>(c); }});
  register_model_class({"gemma", "GemmaForSequenceClassification", {"AutoModelForSequenceClassification"},
                        [](auto c) { return std::make_shared<GemmaForSequenceClassification>(c); }});
}

}  // namespace transformers
