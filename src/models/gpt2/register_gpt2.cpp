// GPT2Config (the __init__ defaults and attribute_map of configuration_gpt2.py, 4.51) and the
// GPT-2 model classes in the registry the Auto classes read.
#include "../config_init.hpp"
#include "transformers/models/gpt2/modeling_gpt2.hpp"

namespace transformers {

void register_gpt2() {
  register_config_class({.model_type = "gpt2",
                         .class_name = "GPT2Config",
                         .defaults = {{"vocab_size", 50257},
                                      {"n_positions", 1024},
                                      {"n_embd", 768},
                                      {"n_layer", 12},
                                      {"n_head", 12},
                                      {"n_inner", nullptr},
                                      {"activation_function", "gelu_new"},
                                      {"resid_pdrop", 0.1},
                                      {"embd_pdrop", 0.1},
                                      {"attn_pdrop", 0.1},
                                      {"layer_norm_epsilon", 1e-5},
                                      {"initializer_range", 0.02},
                                      {"summary_type", "cls_index"},
                                      {"summary_use_proj", true},
                                      {"summary_activation", nullptr},
                                      {"summary_proj_to_labels", true},
                                      {"summary_first_dropout", 0.1},
                                      {"scale_attn_weights", true},
                                      {"use_cache", true},
                                      {"bos_token_id", 50256},
                                      {"eos_token_id", 50256},
                                      {"scale_attn_by_inverse_layer_idx", false},
                                      {"reorder_and_upcast_attn", false}},
                         // Python's attribute_map: the common name -> the key GPT-2 stores.
                         .attribute_map = {{"hidden_size", "n_embd"},
                                           {"max_position_embeddings", "n_positions"},
                                           {"num_attention_heads", "n_head"},
                                           {"num_hidden_layers", "n_layer"}},
                         .base_model_num_parameters = models_detail::gpt2_base_model_num_parameters});

  register_model_class({"gpt2", "GPT2Model", {"AutoModel"}, [](auto c) { return std::make_shared<GPT2Model>(c); }});
  register_model_class({"gpt2", "GPT2LMHeadModel", {"AutoModelForCausalLM", "AutoModelWithLMHead"},
                        [](auto c) { return std::make_shared<GPT2LMHeadModel>(c); }});
}

}  // namespace transformers
