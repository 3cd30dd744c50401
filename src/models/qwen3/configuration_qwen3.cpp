// Qwen3's view of the shared Llama blocks (see the header for what differs from Llama).
#include "transformers/models/qwen3/configuration_qwen3.hpp"

#include "models/model_utils.hpp"

namespace transformers {

LlamaConfigView qwen3_config_view(const PretrainedConfig& c, const std::string& class_name) {
  LlamaConfigView v = LlamaConfigView::from_config(c, class_name);
  v.mlp_bias = false;  // Qwen3MLP: bias=False, no config key
  v.qk_norm = true;
  v.sliding_window = models_detail::sliding_window(c);
  return v;
}

}  // namespace transformers
