#pragma once
// LlamaConfig (configuration_llama.py, 4.51) as the Llama modules read it: typed fields filled once
// from the PretrainedConfig when a model is built. The PretrainedConfig keeps the JSON (unknown keys
// included) for saving; the modules never look keys up themselves.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "transformers/modeling/configuration_utils.hpp"
#include "transformers/nn/attention.hpp"
#include "transformers/nn/rotary_embedding.hpp"

namespace transformers {

struct LlamaConfigView {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // None -> num_attention_heads
  int64_t head_dim = 0;             // None -> hidden_size / num_attention_heads
  std::string hidden_act;
  double rms_norm_eps = 1e-6;
  double attention_dropout = 0.0;  // on the attention probabilities in train() mode
  double initializer_range = 0.02;
  bool attention_bias = false;  // q/k/v projections
  bool o_proj_bias = false;     // Llama: = attention_bias; Qwen2 biases q/k/v only
  bool mlp_bias = false;
  // Keys more than sliding_window - 1 positions before a query are masked (Mistral, Qwen2: 4.51's
  // eager/sdpa mask). nullopt: none (Llama).
  std::optional<int64_t> sliding_window;
  // RMSNorm over head_dim on each query / key head before rope (Qwen3's q_norm / k_norm).
  bool qk_norm = false;
  // Which layers the sliding window applies to: 0 = every layer (Mistral, Qwen2/3); n > 0 = layer i
  // when (i + 1) % n != 0 (Gemma 2: n = 2, even layers local; Gemma 3: sliding_window_pattern).
  int64_t sliding_window_pattern = 0;
  // Gemma 3: the sliding layers rotate with the default rope at this base (rope_local_base_freq,
  // LlamaModel::rotary_emb_local); the global layers keep rope_theta and rope_scaling.
  std::optional<double> rope_local_base_freq;
  // Gemma's RMSNorm: x * rsqrt(mean(x^2) + eps) * (1 + weight) in float32, then cast to x's dtype;
  // its weights start at zero.
  bool norm_unit_offset = false;
  // Gemma: the embeddings are multiplied by sqrt(hidden_size) rounded to the hidden dtype.
  bool scale_embeddings = false;
  // Gemma 2/3: post_attention_layernorm normalises the attention output before the residual add,
  // and pre_feedforward_layernorm / post_feedforward_layernorm wrap the MLP.
  bool sandwich_norms = false;
  // The attention score scale (Gemma 2/3: query_pre_attn_scalar ** -0.5); nullopt: head_dim ** -0.5.
  std::optional<double> attention_scaling;
  // Gemma 2: scores -> tanh(scores / cap) * cap before the mask, on the eager path only (4.51's
  // sdpa_attention_forward drops the softcap argument).
  std::optional<double> attn_logit_softcapping;
  // Gemma 2: logits -> tanh(logits / cap) * cap.
  std::optional<double> final_logit_softcapping;
  // OLMo 2: q_norm / k_norm are RMSNorms over the whole q / k projection, before the split into heads.
  bool qk_norm_full_projection = false;
  // OLMo 2: no input_layernorm; post_attention_layernorm and post_feedforward_layernorm normalise the
  // attention and MLP outputs before their residual adds.
  bool post_norms = false;
  // Phi-3: one qkv_proj (q, k, v rows in that order) and one gate_up_proj (gate rows, then up).
  bool fused_projections = false;
  // Mixtral: a sparse MoE block (block_sparse_moe, nn/sparse_moe.hpp) instead of the MLP when
  // num_local_experts > 0, routing each token to num_experts_per_tok experts; the LM's loss adds
  // router_aux_loss_coef * the load-balancing loss when router logits are output.
  int64_t num_local_experts = 0;
  int64_t num_experts_per_tok = 0;
  double router_jitter_noise = 0.0;
  double router_aux_loss_coef = 0.0;
  // Qwen2-MoE: the sparse block sits in layer i unless i is in mlp_only_layers or
  // (i + 1) % decoder_sparse_step != 0 (those keep a dense MLP of intermediate_size); its experts
  // have moe_intermediate_size (0: intermediate_size, Mixtral), a shared expert of
  // shared_expert_intermediate_size (0: none) joins them, and norm_topk_prob says whether the top-k
  // probabilities are renormalised (Mixtral: always). The block is registered as moe_attribute.
  int64_t decoder_sparse_step = 1;
  std::vector<int64_t> mlp_only_layers;
  int64_t moe_intermediate_size = 0;
  int64_t shared_expert_intermediate_size = 0;
  bool norm_topk_prob = true;
  std::string moe_attribute = "block_sparse_moe";
  std::string moe_class_prefix = "Mixtral";  // <prefix>SparseMoeBlock; Qwen2Moe: Qwen2MoeMLP experts
  std::optional<int64_t> pad_token_id;
  nn::RopeParameters rope;
  nn::AttentionImplementation attn_implementation = nn::AttentionImplementation::sdpa;

  // ValueError naming the key for sizes that cannot build a model, and 4.51's attn_implementation
  // errors for `class_name`.
  static LlamaConfigView from_config(const PretrainedConfig& config, const std::string& class_name);
};

}  // namespace transformers
