// OLMo 2's view of the shared Llama blocks (see the header for what differs from Llama).
#include "transformers/models/olmo2/configuration_olmo2.hpp"

namespace transformers {

LlamaConfigView olmo2_config_view(const PretrainedConfig& c, const std::string& class_name) {
  LlamaConfigView v = LlamaConfigView::from_config(c, class_name);
  v.mlp_bias = false;  // Olmo2MLP: bias=False, no config key
  v.qk_norm_full_projection = true;
  v.post_norms = true;
  return v;
}

}  // namespace transformers
