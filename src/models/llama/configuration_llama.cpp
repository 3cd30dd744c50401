// LlamaConfigView: the LlamaConfig attributes the Llama modules use, read once per model.
#include "transformers/models/llama/configuration_llama.hpp"

#include "models/model_utils.hpp"
#include "transformers/modeling/attn_implementation.hpp"

namespace transformers {

LlamaConfigView LlamaConfigView::from_config(const PretrainedConfig& c, const std::string& class_name) {
  LlamaConfigView v;
  v.attn_implementation =
      autoset_attn_implementation(c, class_name, {.flash_attention_2 = true, .sdpa = true, .flex_attention = true});
  v.vocab_size = c.vocab_size();
  v.hidden_size = c.hidden_size();
  v.intermediate_size = c.get<int64_t>("intermediate_size");
  v.num_hidden_layers = c.num_hidden_layers();
  v.num_attention_heads = c.num_attention_heads();
  if (v.num_attention_heads <= 0)
    throw ValueError("config key 'num_attention_heads': expected a positive count, found " +
                     std::to_string(v.num_attention_heads));
  const int64_t kv = c.get<int64_t>("num_key_value_heads", 0);
  v.num_key_value_heads = kv > 0 ? kv : v.num_attention_heads;
  const int64_t hd = c.get<int64_t>("head_dim", 0);
  v.head_dim = hd > 0 ? hd : v.hidden_size / v.num_attention_heads;
  v.hidden_act = c.get<std::string>("hidden_act", "");  // Gemma 2 reads hidden_activation instead
  v.rms_norm_eps = c.get<double>("rms_norm_eps");
  v.attention_dropout = c.get<double>("attention_dropout", 0.0);
  v.initializer_range = c.get<double>("initializer_range", 0.02);
  v.attention_bias = c.get<bool>("attention_bias", false);
  v.o_proj_bias = v.attention_bias;
  v.mlp_bias = c.get<bool>("mlp_bias", false);
  v.pad_token_id = models_detail::optional_int(c, "pad_token_id");
  v.rope = nn::RopeParameters::from_config(c);
  return v;
}

}  // namespace transformers
