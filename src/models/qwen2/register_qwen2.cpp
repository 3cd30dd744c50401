// Qwen2Config (the __init__ defaults of configuration_qwen2.py, 4.51; no attribute_map) and the
// Qwen2 model classes in the registry the Auto classes read.
#include "transformers/models/qwen2/modeling_qwen2.hpp"

#include "../config_init.hpp"

namespace transformers {

void register_qwen2() {
  ConfigClassInfo cfg;
  cfg.model_type = "qwen2";
  cfg.class_name = "Qwen2Config";
  cfg.defaults = {{"vocab_size", 151936},
                  {"hidden_size", 4096},
                  {"intermediate_size", 22016},
                  {"num_hidden_layers", 32},
                  {"num_attention_heads", 32},
                  {"num_key_value_heads", 32},
                  {"hidden_act", "silu"},
                  {"max_position_embeddings", 32768},
                  {"initializer_range", 0.02},
                  {"rms_norm_eps", 1e-6},
                  {"use_cache", true},
                  {"tie_word_embeddings", false},
                  {"rope_theta", 10000.0},
                  {"rope_scaling", nullptr},
                  {"use_sliding_window", false},
                  {"sliding_window", 4096},
                  {"max_window_layers", 28},
                  {"attention_dropout", 0.0}};
  cfg.base_model_num_parameters = models_detail::qwen2_base_model_num_parameters;
  register_config_class(std::move(cfg));

  register_model_class({"qwen2", "Qwen2Model", {"AutoModel"}, [](auto c) { return std::make_shared<Qwen2Model>(c); }});
  register_model_class({"qwen2", "Qwen2ForCausalLM", {"AutoModelForCausalLM"},
                        [](auto c) { return std::make_shared<Qwen2ForCausalLM>(c); }});
  register_model_class({"qwen2", "Qwen2ForSequenceClassification", {"AutoModelForSequenceClassification"},
                        [](auto c) { return std::make_shared<Qwen2ForSequenceClassification>(c); }});
}

}  // namespace transformers
