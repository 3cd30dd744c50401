// Qwen2Config (configuration_qwen2.py, 4.51: Llama's defaults with its changes; no attribute_map) and the
// Qwen2 model classes in the registry the Auto classes read.
#include "transformers/models/qwen2/modeling_qwen2.hpp"

#include "../config_init.hpp"

namespace transformers {

// Qwen2Config.__init__ is LlamaConfig's with its own sizes and the sliding-window arguments, without
// the token ids (left to PretrainedConfig), pretraining_tp, the bias switches and head_dim.
const json& models_detail::qwen2_config_defaults() {
  static const json defaults = defaults_from(
      llama_config_defaults(),
      {{"vocab_size", 151936}, {"intermediate_size", 22016}, {"max_position_embeddings", 32768},
       {"use_sliding_window", false}, {"sliding_window", 4096}, {"max_window_layers", 28}},
      {"pad_token_id", "bos_token_id", "eos_token_id", "pretraining_tp", "attention_bias", "mlp_bias", "head_dim"});
  return defaults;
}

void register_qwen2() {
  register_config_class({.model_type = "qwen2",
                         .class_name = "Qwen2Config",
                         .defaults = models_detail::qwen2_config_defaults(),
                         .base_model_num_parameters = models_detail::qwen2_base_model_num_parameters});

  register_model_class({"qwen2", "Qwen2Model", {"AutoModel"}, [](auto c) { return std::make_shared<Qwen2Model>(c); }});
  register_model_class({"qwen2", "Qwen2ForCausalLM", {"AutoModelForCausalLM"},
                        [](auto c) { return std::make_shared<Qwen2ForCausalLM>(c); }});
  register_model_class({"qwen2", "Qwen2ForSequenceClassification", {"AutoModelForSequenceClassification"},
                        [](auto c) { return std::make_shared<Qwen2ForSequenceClassification>(c); }});
}

}  // namespace transformers
