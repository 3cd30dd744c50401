// Gemma2Config (the __init__ defaults of configuration_gemma2.py, 4.51; no attribute_map) and the
// Gemma 2 model classes in the registry the Auto classes read.
#include "transformers/models/gemma2/modeling_gemma2.hpp"

#include "../config_init.hpp"

namespace transformers {

void register_gemma2() {
  ConfigClassInfo cfg;
  cfg.model_type = "gemma2";
  cfg.class_name = "Gemma2Config";
  cfg.defaults = {{"vocab_size", 256000},
                  {"hidden_size", 2304},
                  {"intermediate_size", 9216},
                  {"num_hidden_layers", 26},
                  {"num_attention_heads", 8},
                  {"num_key_value_heads", 4},
                  {"head_dim", 256},
                  {"hidden_activation", "gelu_pytorch_tanh"},
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
                  {"attention_dropout", 0.0},
                  {"query_pre_attn_scalar", 256},
                  {"sliding_window", 4096},
                  {"final_logit_softcapping", 30.0},
                  {"attn_logit_softcapping", 50.0},
                  {"cache_implementation", "hybrid"}};
  cfg.base_model_num_parameters = models_detail::gemma2_base_model_num_parameters;
  register_config_class(std::move(cfg));

  register_model_class(
      {"gemma2", "Gemma2Model", {"AutoModel"}, [](auto c) { return std::make_shared<Gemma2Model>(c); }});
  register_model_class({"gemma2", "Gemma2ForCausalLM", {"AutoModelForCausalLM"},
                        [](auto c) { return std::make_shared<Gemma2ForCausalLM>(c); }});
  register_model_class({"gemma2", "Gemma2ForSequenceClassification", {"AutoModelForSequenceClassification"},
                        [](auto c) { return std::make_shared<Gemma2ForSequenceClassification>(c); }});
}

}  // namespace transformers
