#pragma once
// DebertaV2Config (configuration_deberta_v2.py, 4.51) as the DeBERTa-v2 modules read it. The
// feed-forward blocks, the attention output and the legacy MLM head are BERT's modules, so the view
// is BERT's plus DeBERTa's keys (the disentangled attention's, the pooler's, the optional conv layer's),
// including those 4.51 reads with getattr defaults (position_buckets, share_att_key, norm_rel_ebd,
// conv_kernel_size, ...).
#include <cstdint>
#include <string>
#include <vector>

#include "transformers/models/bert/configuration_bert.hpp"

namespace transformers {

struct DebertaV2ConfigView : BertConfigView {
  int64_t embedding_size = 0;  // getattr(config, "embedding_size", hidden_size)
  int64_t attention_head_size = 0;  // getattr(config, "attention_head_size", hidden // heads)
  bool relative_attention = false;
  int64_t max_relative_positions = -1;  // < 1: max_position_embeddings
  int64_t position_buckets = -1;        // > 0: log buckets
  bool share_att_key = false;
  std::vector<std::string> pos_att_type;  // "c2p", "p2c"
  std::vector<std::string> norm_rel_ebd;  // "layer_norm" normalises rel_embeddings
  bool position_biased_input = true;
  int64_t pooler_hidden_size = 0;
  std::string pooler_hidden_act = "gelu";
  double pooler_dropout = 0.0;
  std::optional<double> cls_dropout;
  bool legacy = true;  // DebertaV2ForMaskedLM: cls.predictions (true) or lm_predictions.lm_head
  int64_t conv_kernel_size = 0;  // > 0: ConvLayer after the first layer
  int64_t conv_groups = 1;
  std::string conv_act = "tanh";

  bool has_pos_att(const std::string& kind) const;
  // The disentangled attention's positions: max_relative_positions, or max_position_embeddings when < 1.
  int64_t max_relative() const { return max_relative_positions < 1 ? max_position_embeddings : max_relative_positions; }
  // pos_ebd_size: position_buckets when positive, else max_relative().
  int64_t att_span() const { return position_buckets > 0 ? position_buckets : max_relative(); }

  // "p2c|c2p" -> {"p2c", "c2p"}: lower-cased, split on '|', each part stripped (4.51's reading of a
  // string pos_att_type or norm_rel_ebd).
  static std::vector<std::string> split_bar_list(std::string s);

  // 4.51's attn_implementation errors for `class_name` (DeBERTa-v2 has eager attention only).
  static DebertaV2ConfigView from_config(const PretrainedConfig& config, const std::string& class_name);
};

}  // namespace transformers
