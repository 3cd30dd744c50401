#pragma once
// Gemma2Config (configuration_gemma2.py, 4.51) as the shared Llama blocks read it: Gemma's view plus
// pre/post feed-forward norms (sandwich_norms), attention scale query_pre_attn_scalar ** -0.5,
// attention and final logit soft-capping (null: none), and sliding_window on the even layers
// (0, 2, ...: Gemma2Attention's `not bool(layer_idx % 2)`). The activation is hidden_activation.
#include <string>

#include "transformers/models/llama/configuration_llama.hpp"

namespace transformers {

LlamaConfigView gemma2_config_view(const PretrainedConfig& config, const std::string& class_name);

}  // namespace transformers
