#pragma once
// Qwen2MoeConfig (configuration_qwen2_moe.py, 4.51) as the shared Llama blocks read it: Qwen2's view
// (q/k/v biased per qkv_bias, o_proj and the MLPs unbiased, head_dim = hidden_size //
// num_attention_heads whatever a head_dim key says) with a sparse MoE block (nn/sparse_moe.hpp,
// registered as `mlp`) on layer i unless i is in mlp_only_layers or (i + 1) % decoder_sparse_step
// != 0: num_experts experts of moe_intermediate_size, num_experts_per_tok per token, the top-k
// probabilities renormalised only when norm_topk_prob, and a shared expert of
// shared_expert_intermediate_size gated by sigmoid(shared_expert_gate(x)). config.sliding_window is
// null unless use_sliding_window (Qwen2MoeConfig.__init__); when set the eager/sdpa mask applies it
// to every layer.
#include <string>

#include "transformers/models/llama/configuration_llama.hpp"

namespace transformers {

LlamaConfigView qwen2_moe_config_view(const PretrainedConfig& config, const std::string& class_name);

}  // namespace transformers
