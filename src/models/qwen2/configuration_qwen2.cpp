// Qwen2's view of the shared Llama blocks (see the header for what differs from Llama).
#include "transformers/models/qwen2/configuration_qwen2.hpp"

#include "models/model_utils.hpp"

namespace transformers {

LlamaConfigView qwen2_config_view(const PretrainedConfig& c, const std::string& class_name) {
  LlamaConfigView v = LlamaConfigView::from_config(c, class_name);
  v.attention_bias = true;  // Qwen2Attention: q/k/v bias=True, o_proj bias=False, no config key
  v.o_proj_bias = false;
  v.mlp_bias = false;
  v.sliding_window = models_detail::sliding_window(c);
  return v;
}

}  // namespace transformers
