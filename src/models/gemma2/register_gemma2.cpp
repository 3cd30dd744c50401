// Gemma2Config (the __init__ defaults of configuration_gemma2.py, 4.51; no attribute_map) and the
// Gemma 2 model classes in the registry the Auto classes read.
#include "transformers/models/gemma2/modeling_gemma2.hpp"

#include "../config_init.hpp"

namespace transformers {

void register_gemma2() {
  // Gemma2Config.__init__ is GemmaConfig's with Gemma 2's sizes, hidden_activation set (no
  // hidden_act), and the soft-capping, sliding-window and pre-attention scaling arguments.
  register_config_class({.model_type = "gemma2",
                         .class_name = "Gemma2Config",
                         .defaults = models_detail::defaults_from(
                             models_detail::gemma_config_defaults(),
                             {{"hidden_size", 2304}, {"intermediate_size", 9216}, {"num_hidden_layers", 26},
                              {"num_attention_heads", 8}, {"num_key_value_heads", 4},
                              {"hidden_activation", "gelu_pytorch_tanh"}, {"query_pre_attn_scalar", 256},
                              {"sliding_window", 4096}, {"final_logit_softcapping", 30.0},
                              {"attn_logit_softcapping", 50.0}, {"cache_implementation", "hybrid"}},
                             {"hidden_act"}),
                         .base_model_num_parameters = models_detail::gemma2_base_model_num_parameters});

  register_model_class(
      {"gemma2", "Gemma2Model", {"AutoModel"}, [](auto c) { return std::make_shared<Gemma2Model>(c); }});
  register_model_class({"gemma2", "Gemma2ForCausalLM", {"AutoModelForCausalLM"},
                        [](auto c) { return std::make_shared<Gemma2ForCausalLM>(c); }});
  register_model_class({"gemma2", "Gemma2ForSequenceClassification", {"AutoModelForSequenceClassification"},
                        [](auto c) { return std::make_shared<Gemma2ForSequenceClassification>(c); }});
}

}  // namespace transformers
