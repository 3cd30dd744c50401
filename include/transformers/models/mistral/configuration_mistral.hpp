#pragma once
// MistralConfig (configuration_mistral.py, 4.51) as the shared Llama blocks read it: Llama's view
// without biases, plus sliding_window (null: none), which 4.51's eager/sdpa mask applies.
#include <string>

#include "transformers/models/llama/configuration_llama.hpp"

namespace transformers {

LlamaConfigView mistral_config_view(const PretrainedConfig& config, const std::string& class_name);

}  // namespace transformers
