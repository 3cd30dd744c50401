#include "transformers/tokenizers/encoding.hpp"

namespace transformers {

void Encoding::merge_with(const Encoding& o) {
  ids.insert(ids.end(), o.ids.begin(), o.ids.end());
  type_ids.insert(type_ids.end(), o.type_ids.begin(), o.type_ids.end());
  tokens.insert(tokens.end(), o.tokens.begin(), o.tokens.end());
  offsets.insert(offsets.end(), o.offsets.begin(), o.offsets.end());
  word_ids.insert(word_ids.end(), o.word_ids.begin(), o.word_ids.end());
  sequence_ids.insert(sequence_ids.end(), o.sequence_ids.begin(), o.sequence_ids.end());
  special_tokens_mask.insert(special_tokens_mask.end(), o.special_tokens_mask.begin(), o.special_tokens_mask.end());
  attention_mask.insert(attention_mask.end(), o.attention_mask.begin(), o.attention_mask.end());
}

void Encoding::set_type_ids(int32_t type_id) { type_ids.assign(ids.size(), type_id); }

void Encoding::set_sequence_id(int32_t seq) { sequence_ids.assign(ids.size(), seq); }

}  // namespace transformers
