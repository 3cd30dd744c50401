#pragma once
// DistilBertConfig (configuration_distilbert.py, 4.51) as the DistilBERT modules read it: typed
// fields filled once from the PretrainedConfig when a model is built. Python's names: dim, n_layers,
// n_heads, hidden_dim (attribute_map: hidden_size, num_hidden_layers, num_attention_heads).
#include <cstdint>
#include <optional>
#include <string>

#include "transformers/modeling/configuration_utils.hpp"
#include "transformers/nn/attention.hpp"

namespace transformers {

struct DistilBertConfigView {
  int64_t vocab_size = 0;
  int64_t dim = 0;
  int64_t n_layers = 0;
  int64_t n_heads = 0;
  int64_t hidden_dim = 0;
  std::string activation;
  int64_t max_position_embeddings = 0;
  bool sinusoidal_pos_embds = false;
  double initializer_range = 0.02;
  std::optional<int64_t> pad_token_id;
  int64_t num_labels = 2;
  // Dropout probabilities (applied in train() only): embeddings and FFN output, attention
  // probabilities, before qa_outputs, after the classification heads' pre_classifier.
  double dropout = 0.1, attention_dropout = 0.1, qa_dropout = 0.1, seq_classif_dropout = 0.2;
  nn::AttentionImplementation attn_implementation = nn::AttentionImplementation::sdpa;

  // 4.51's attn_implementation errors for `class_name`.
  static DistilBertConfigView from_config(const PretrainedConfig& config, const std::string& class_name);
};

}  // namespace transformers
