#pragma once
// MixtralConfig (configuration_mixtral.py, 4.51) as the shared Llama blocks read it: Mistral's view
// (no biases, sliding_window, null by default) plus the sparse MoE block in place of each MLP:
// num_local_experts experts, num_experts_per_tok per token, router_jitter_noise (training only),
// router_aux_loss_coef for the load-balancing loss.
#include <string>

#include "transformers/models/llama/configuration_llama.hpp"

namespace transformers {

LlamaConfigView mixtral_config_view(const PretrainedConfig& config, const std::string& class_name);

}  // namespace transformers
