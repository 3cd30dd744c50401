// Gemma's view of the shared Llama blocks (see the header for what differs from Llama).
#include "transformers/models/gemma/configuration_gemma.hpp"

namespace transformers {

LlamaConfigView gemma_config_view(const PretrainedConfig& c, const std::string& class_name) {
  LlamaConfigView v = LlamaConfigView::from_config(c, class_name);
  v.mlp_bias = false;  // GemmaMLP: bias=False, no config key
  v.norm_unit_offset = true;
  v.scale_embeddings = true;
  return v;
}

}  // namespace transformers
