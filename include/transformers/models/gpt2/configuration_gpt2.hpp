#pragma once
// GPT2Config (configuration_gpt2.py, 4.51) as the GPT-2 modules read it: typed fields filled once
// from the PretrainedConfig (attribute_map aliases resolved) when a model is built. The
// PretrainedConfig keeps the JSON for saving.
#include <cstdint>
#include <string>

#include "transformers/modeling/configuration_utils.hpp"
#include "transformers/nn/attention.hpp"

namespace transformers {

struct GPT2ConfigView {
  int64_t vocab_size = 0;
  int64_t n_embd = 0;       // hidden_size
  int64_t n_layer = 0;      // num_hidden_layers
  int64_t n_head = 0;       // num_attention_heads
  int64_t n_positions = 0;  // max_position_embeddings
  int64_t n_inner = 0;      // None -> 4 * n_embd
  std::string activation_function;
  double layer_norm_epsilon = 1e-5;
  double initializer_range = 0.02;
  bool scale_attn_weights = true;
  bool scale_attn_by_inverse_layer_idx = false;
  bool reorder_and_upcast_attn = false;
  bool add_cross_attention = false;
  double embd_pdrop = 0.1, attn_pdrop = 0.1, resid_pdrop = 0.1;  // dropout in train() mode
  nn::AttentionImplementation attn_implementation = nn::AttentionImplementation::sdpa;

  // 4.51's attn_implementation errors for `class_name`.
  static GPT2ConfigView from_config(const PretrainedConfig& config, const std::string& class_name);
};

}  // namespace transformers
