// Qwen2-MoE's view of the shared Llama blocks (see the header for what differs from Qwen2).
#include "transformers/models/qwen2_moe/configuration_qwen2_moe.hpp"

#include "models/model_utils.hpp"
#include "transformers/core/quote.hpp"

namespace transformers {

LlamaConfigView qwen2_moe_config_view(const PretrainedConfig& c, const std::string& class_name) {
  LlamaConfigView v = LlamaConfigView::from_config(c, class_name);
  // Qwen2MoeAttention: head_dim = hidden_size // num_heads, and ValueError unless that divides.
  if (v.hidden_size % v.num_attention_heads != 0)
    throw ValueError("config keys 'hidden_size' / 'num_attention_heads': hidden_size must be divisible by num_heads "
                     "(got `hidden_size`: " + std::to_string(v.hidden_size) +
                     " and `num_heads`: " + std::to_string(v.num_attention_heads) + ")");
  v.head_dim = v.hidden_size / v.num_attention_heads;
  v.attention_bias = c.get<bool>("qkv_bias", true);
  v.o_proj_bias = false;
  v.mlp_bias = false;
  v.sliding_window = models_detail::sliding_window(c);
  v.num_local_experts = c.get<int64_t>("num_experts");
  v.num_experts_per_tok = c.get<int64_t>("num_experts_per_tok");
  if (v.num_local_experts > 0 && (v.num_experts_per_tok <= 0 || v.num_experts_per_tok > v.num_local_experts))
    throw ValueError("config keys 'num_experts' / 'num_experts_per_tok': expected 0 < num_experts_per_tok <= "
                     "num_experts, found " + std::to_string(v.num_experts_per_tok) + " and " +
                     std::to_string(v.num_local_experts));
  v.decoder_sparse_step = c.get<int64_t>("decoder_sparse_step");
  if (v.num_local_experts > 0 && v.decoder_sparse_step <= 0)
    throw ValueError("config key 'decoder_sparse_step': expected a positive layer step, found " +
                     std::to_string(v.decoder_sparse_step));
  const json& only = c.raw_at("mlp_only_layers");
  if (!only.is_null() && !only.is_array())
    throw ValueError("config key 'mlp_only_layers': expected a list of layer indices, found " + quote_input(only.dump()));
  if (only.is_array())
    for (const json& i : only) {
      if (!i.is_number_integer())
        throw ValueError("config key 'mlp_only_layers': expected integer layer indices, found " + quote_input(i.dump()));
      v.mlp_only_layers.push_back(i.get<int64_t>());
    }
  v.moe_intermediate_size = c.get<int64_t>("moe_intermediate_size");
  v.shared_expert_intermediate_size = c.get<int64_t>("shared_expert_intermediate_size");
  v.norm_topk_prob = c.get<bool>("norm_topk_prob");
  v.router_aux_loss_coef = c.get<double>("router_aux_loss_coef");
  v.moe_attribute = "mlp";
  v.moe_class_prefix = "Qwen2Moe";
  return v;
}

}  // namespace transformers
