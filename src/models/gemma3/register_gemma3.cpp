// Gemma3TextConfig (the __init__ defaults of configuration_gemma3.py, 4.51; no attribute_map) and the
// Gemma 3 text model classes in the registry the Auto classes read.
#include "transformers/models/gemma3/modeling_gemma3.hpp"

#include "../config_init.hpp"

namespace transformers {

namespace {
// Gemma3TextModel: Gemma 2's tree plus q_norm / k_norm over head_dim in every layer.
double gemma3_text_base_model_num_parameters(const PretrainedConfig& c) {
  return models_detail::gemma2_base_model_num_parameters(c) +
         double(c.get<int64_t>("num_hidden_layers")) * 2 * double(c.get<int64_t>("head_dim"));
}
}  // namespace

void register_gemma3() {
  // Gemma3TextConfig.__init__ is Gemma2Config's with Gemma 3's vocabulary, head_dim, rope base and
  // length, no soft-capping, and the rope_scaling, rope_local_base_freq and sliding_window_pattern
  // arguments.
  register_config_class({.model_type = "gemma3_text",
                         .class_name = "Gemma3TextConfig",
                         .defaults = models_detail::defaults_from(
                             models_detail::gemma_config_defaults(),
                             {{"vocab_size", 262208}, {"hidden_size", 2304}, {"intermediate_size", 9216},
                              {"num_hidden_layers", 26}, {"num_attention_heads", 8}, {"num_key_value_heads", 4},
                              {"head_dim", 256}, {"hidden_activation", "gelu_pytorch_tanh"},
                              {"max_position_embeddings", 131072}, {"rope_theta", 1000000.0},
                              {"query_pre_attn_scalar", 256}, {"sliding_window", 4096},
                              {"final_logit_softcapping", nullptr}, {"attn_logit_softcapping", nullptr},
                              {"cache_implementation", "hybrid"}, {"rope_scaling", nullptr},
                              {"rope_local_base_freq", 10000.0}, {"sliding_window_pattern", 6}},
                             {"hidden_act"}),
                         .base_model_num_parameters = gemma3_text_base_model_num_parameters});

  register_model_class({"gemma3_text", "Gemma3TextModel", {"AutoModel"},
                        [](auto c) { return std::make_shared<Gemma3TextModel>(c); }});
  register_model_class({"gemma3_text", "Gemma3ForCausalLM", {"AutoModelForCausalLM"},
                        [](auto c) { return std::make_shared<Gemma3ForCausalLM>(c); }});
}

}  // namespace transformers
