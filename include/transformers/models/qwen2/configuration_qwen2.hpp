#pragma once
// Qwen2Config (configuration_qwen2.py, 4.51) as the shared Llama blocks read it: Llama's view with
// biased q/k/v projections (o_proj and the MLP unbiased) and config.sliding_window, which 4.51's
// eager/sdpa mask applies to every layer whatever use_sliding_window / max_window_layers say (those
// two only steer flash attention there).
#include <string>

#include "transformers/models/llama/configuration_llama.hpp"

namespace transformers {

LlamaConfigView qwen2_config_view(const PretrainedConfig& config, const std::string& class_name);

}  // namespace transformers
