#pragma once
// The result of encoding one sequence (or a pair), as Python `tokenizers.Encoding` holds it.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace transformers {

using Offsets = std::pair<std::size_t, std::size_t>;

struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
  std::vector<std::string> tokens;
  // Character offsets into the input text (Python's `str` indices). Special tokens: (0, 0).
  std::vector<Offsets> offsets;
  // Word index of each token inside its sequence; -1 for special and padding tokens.
  std::vector<int32_t> word_ids;
  // 0 for the first sequence, 1 for the pair; -1 for special and padding tokens.
  std::vector<int32_t> sequence_ids;
  std::vector<int32_t> special_tokens_mask;
  std::vector<int32_t> attention_mask;
  // Windows removed by truncation (each one a full encoding).
  std::vector<Encoding> overflowing;

  std::size_t size() const { return ids.size(); }
  bool empty() const { return ids.empty(); }
  // Appends `other` after this encoding (tokens, masks, offsets unchanged).
  void merge_with(const Encoding& other);
  void set_type_ids(int32_t type_id);
  void set_sequence_id(int32_t seq);
};

}  // namespace transformers
