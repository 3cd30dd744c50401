#pragma once
// Phi3Config (configuration_phi3.py, 4.51) as the shared Llama blocks read it: no biases, fused
// qkv_proj and gate_up_proj, partial rotary (partial_rotary_factor), longrope short/long factors
// chosen by max(position_ids) + 1 against original_max_position_embeddings, and Mistral's
// sliding_window mask (null by default).
#include <string>

#include "transformers/models/llama/configuration_llama.hpp"

namespace transformers {

LlamaConfigView phi3_config_view(const PretrainedConfig& config, const std::string& class_name);

}  // namespace transformers
