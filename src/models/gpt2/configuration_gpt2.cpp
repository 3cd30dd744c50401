// GPT2ConfigView: the GPT2Config attributes the GPT-2 modules use, read once per model.
#include "transformers/models/gpt2/configuration_gpt2.hpp"

#include "transformers/core/checked.hpp"
#include "transformers/modeling/attn_implementation.hpp"

namespace transformers {

GPT2ConfigView GPT2ConfigView::from_config(const PretrainedConfig& c, const std::string& class_name) {
  GPT2ConfigView v;
  v.attn_implementation = autoset_attn_implementation(c, class_name, {.flash_attention_2 = true, .sdpa = true});
  v.vocab_size = c.vocab_size();
  v.n_embd = c.hidden_size();
  v.n_layer = c.num_hidden_layers();
  v.n_head = c.num_attention_heads();
  v.n_positions = c.get<int64_t>("max_position_embeddings");
  const int64_t inner = c.get<int64_t>("n_inner", 0);
  v.n_inner = inner > 0 ? inner : checked_mul(4, v.n_embd, "GPT2Block: 4 * n_embd");
  v.activation_function = c.get<std::string>("activation_function");
  v.layer_norm_epsilon = c.get<double>("layer_norm_epsilon");
  v.initializer_range = c.get<double>("initializer_range", 0.02);
  v.scale_attn_weights = c.get<bool>("scale_attn_weights", true);
  v.scale_attn_by_inverse_layer_idx = c.get<bool>("scale_attn_by_inverse_layer_idx", false);
  v.reorder_and_upcast_attn = c.get<bool>("reorder_and_upcast_attn", false);
  v.add_cross_attention = c.get<bool>("add_cross_attention", false);
  v.embd_pdrop = c.get<double>("embd_pdrop", 0.1);
  v.attn_pdrop = c.get<double>("attn_pdrop", 0.1);
  v.resid_pdrop = c.get<double>("resid_pdrop", 0.1);
  return v;
}

}  // namespace transformers
