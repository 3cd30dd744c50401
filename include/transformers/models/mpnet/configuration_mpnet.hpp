#pragma once
// MPNetConfig (configuration_mpnet.py, 4.51) as the MPNet modules read it. MPNet's feed-forward,
// pooler and heads are BERT's / RoBERTa's modules, so the view is BERT's plus the one key MPNet adds
// (relative_attention_num_buckets); MPNetConfig has no type_vocab_size (no token type embeddings).
#include <cstdint>
#include <string>

#include "transformers/models/bert/configuration_bert.hpp"

namespace transformers {

struct MPNetConfigView : BertConfigView {
  int64_t relative_attention_num_buckets = 32;

  // 4.51's attn_implementation errors for `class_name` (MPNet has eager attention only).
  static MPNetConfigView from_config(const PretrainedConfig& config, const std::string& class_name);
};

}  // namespace transformers
