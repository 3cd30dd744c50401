#pragma once
// GemmaConfig (configuration_gemma.py, 4.51) as the shared Llama blocks read it: Llama's view (head_dim
// independent of hidden_size, attention_bias on all four projections, no MLP bias) plus Gemma's
// RMSNorm with a unit offset and embeddings scaled by sqrt(hidden_size). The MLP activation is
// config.hidden_act (4.51's GemmaMLP; hidden_activation is stored but not read).
#include <string>

#include "transformers/models/llama/configuration_llama.hpp"

namespace transformers {

LlamaConfigView gemma_config_view(const PretrainedConfig& config, const std::string& class_name);

}  // namespace transformers
