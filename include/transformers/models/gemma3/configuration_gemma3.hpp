#pragma once
// Gemma3TextConfig (configuration_gemma3.py, 4.51) as the shared Llama blocks read it: Gemma 2's view
// (sandwich norms, query_pre_attn_scalar, soft-capping -- null by default in Gemma 3 --, the window)
// plus q_norm / k_norm (Gemma's (1 + weight) RMSNorm over head_dim), local layers chosen by
// sliding_window_pattern (layer i is local when (i + 1) % pattern != 0) and rotated with the default
// rope at rope_local_base_freq, global layers with rope_theta and rope_scaling. attn_logit_softcapping
// is read but not applied, as in 4.51 (its Gemma3Attention never passes it on).
#include <string>

#include "transformers/models/llama/configuration_llama.hpp"

namespace transformers {

LlamaConfigView gemma3_text_config_view(const PretrainedConfig& config, const std::string& class_name);

}  // namespace transformers
