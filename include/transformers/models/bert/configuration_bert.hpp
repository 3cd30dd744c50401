#pragma once
// BertConfig (configuration_bert.py, 4.51) as the BERT modules read it: typed fields filled once
// from the PretrainedConfig when a model is built. The PretrainedConfig keeps the JSON for saving.
#include <cstdint>
#include <optional>
#include <string>

#include "transformers/modeling/configuration_utils.hpp"
#include "transformers/nn/attention.hpp"

namespace transformers {

struct BertConfigView {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t intermediate_size = 0;
  std::string hidden_act;
  int64_t max_position_embeddings = 0;
  int64_t type_vocab_size = 0;
  double layer_norm_eps = 1e-12;
  double initializer_range = 0.02;
  std::optional<int64_t> pad_token_id;
  std::string position_embedding_type = "absolute";
  bool is_decoder = false;
  bool add_cross_attention = false;
  int64_t num_labels = 2;
  // Dropout in train() mode (4.51's places: embeddings, attention probabilities, both residual
  // outputs, the classification heads' input).
  double hidden_dropout_prob = 0.1, attention_probs_dropout_prob = 0.1;
  std::optional<double> classifier_dropout;
  nn::AttentionImplementation attn_implementation = nn::AttentionImplementation::sdpa;

  // 4.51's attn_implementation errors for `class_name`.
  static BertConfigView from_config(const PretrainedConfig& config, const std::string& class_name);
  // The BertConfig-shaped attributes MPNet's and DeBERTa-v2's views read the same way as BERT's
  // (sizes, activation, positions, type vocabulary when the config class has one, norm epsilon,
  // init range, pad id, the two dropouts, num_labels).
  void read_encoder_fields(const PretrainedConfig& config, bool has_type_vocab = true);
};

}  // namespace transformers
