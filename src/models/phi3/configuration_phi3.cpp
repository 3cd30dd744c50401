// Phi-3's view of the shared Llama blocks and its causal LM's cache check (see the headers).
#include "transformers/models/phi3/configuration_phi3.hpp"

#include "models/model_utils.hpp"
#include "transformers/nn/kv_cache.hpp"
#include "transformers/models/phi3/modeling_phi3.hpp"

namespace transformers {

LlamaConfigView phi3_config_view(const PretrainedConfig& c, const std::string& class_name) {
  LlamaConfigView v = LlamaConfigView::from_config(c, class_name);
  v.attention_bias = v.o_proj_bias = v.mlp_bias = false;  // Phi3Attention / Phi3MLP: bias=False
  v.fused_projections = true;
  v.sliding_window = models_detail::sliding_window(c);
  return v;
}

Phi3ForCausalLM::Phi3ForCausalLM(std::shared_ptr<PretrainedConfig> config)
    : LlamaForCausalLM(config, phi3_config_view(*config, "Phi3ForCausalLM"), std::make_shared<Phi3Model>(config)) {
  if (config_->has("rope_scaling") && !config_->raw_at("rope_scaling").is_null())
    rope_switch_length_ = config_->get<int64_t>("original_max_position_embeddings");
}

ModelOutput Phi3ForCausalLM::forward(const ModelInputs& in) {
  if (rope_switch_length_ && in.past_key_values) {
    const int64_t past = in.past_key_values->get_seq_length(0);
    const int64_t seq = in.input_ids.defined() ? in.input_ids.size(1) : in.inputs_embeds.size(1);
    if (past > 0 && past <= *rope_switch_length_ && past + seq > *rope_switch_length_)
      throw UnsupportedError(
          "Phi3ForCausalLM: the sequence grows from " + std::to_string(past) + " cached tokens past "
          "original_max_position_embeddings (" + std::to_string(*rope_switch_length_) +
          "), where longrope switches every key to the long factors; 4.51's generate recomputes the whole "
          "sequence without the cache there. Run the whole sequence without a cache, or start from a prompt "
          "longer than original_max_position_embeddings");
  }
  return LlamaForCausalLM::forward(in);
}

}  // namespace transformers
