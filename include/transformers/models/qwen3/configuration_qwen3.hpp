#pragma once
// Qwen3Config (configuration_qwen3.py, 4.51) as the shared Llama blocks read it: Llama's view
// (attention_bias on q/k/v/o, head_dim default 128 in the config) plus q_norm / k_norm and
// config.sliding_window, which 4.51's eager/sdpa mask applies to every layer whatever
// use_sliding_window / max_window_layers say (as for Qwen2).
#include <string>

#include "transformers/models/llama/configuration_llama.hpp"

namespace transformers {

LlamaConfigView qwen3_config_view(const PretrainedConfig& config, const std::string& class_name);

}  // namespace transformers
