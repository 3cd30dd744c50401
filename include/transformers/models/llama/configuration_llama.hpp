#pragma once
// LlamaConfig (configuration_llama.py, 4.51) as the Llama modules read it: typed fields filled once
// from the PretrainedConfig when a model is built. The PretrainedConfig keeps the JSON (unknown keys
// included) for saving; the modules never look keys up themselves.
#include <cstdint>
#include <optional>
#include <string>

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
  std::optional<int64_t> pad_token_id;
  nn::RopeParameters rope;
  nn::AttentionImplementation attn_implementation = nn::AttentionImplementation::sdpa;

  // ValueError naming the key for sizes that cannot build a model, and 4.51's attn_implementation
  // errors for `class_name`.
  static LlamaConfigView from_config(const PretrainedConfig& config, const std::string& class_name);
};

}  // namespace transformers
