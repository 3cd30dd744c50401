#pragma once
// Olmo2Config (configuration_olmo2.py, 4.51) as the shared Llama blocks read it: attention_bias on all
// four projections, no MLP bias, q_norm / k_norm RMSNorms over the whole q / k projection (before
// the split into heads), and post-norms: the attention and MLP outputs are normalised before their
// residual adds, with no input_layernorm.
#include <string>

#include "transformers/models/llama/configuration_llama.hpp"

namespace transformers {

LlamaConfigView olmo2_config_view(const PretrainedConfig& config, const std::string& class_name);

}  // namespace transformers
