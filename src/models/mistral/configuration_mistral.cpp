// Mistral's view of the shared Llama blocks (see the header for what differs from Llama).
#include "transformers/models/mistral/configuration_mistral.hpp"

#include "models/model_utils.hpp"

namespace transformers {

LlamaConfigView mistral_config_view(const PretrainedConfig& c, const std::string& class_name) {
  LlamaConfigView v = LlamaConfigView::from_config(c, class_name);
  v.attention_bias = v.o_proj_bias = v.mlp_bias = false;  // MistralAttention / MistralMLP: bias=False
  v.sliding_window = models_detail::sliding_window(c);
  return v;
}

}  // namespace transformers
