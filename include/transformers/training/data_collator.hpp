#pragma once
// Training data as the Trainer receives it from a tokenized Hugging Face dataset: rows of
// `input_ids` (and optionally `labels`, `attention_mask`) read from JSONL, and the language-modeling
// collator that batches them (4.51's DataCollatorForLanguageModeling with mlm=False: rows padded
// to the longest with the pad token, labels = input_ids with every pad-token position set to -100;
// rows that carry their own `labels` keep them, padded with -100, as DataCollatorForSeq2Seq /
// masked-LM datasets prepared beforehand do).
//
// Not here yet: tokenizing raw text and the masked-LM masking (15 %, 80/10/10), whose positions
// depend on torch's RNG stream and cannot equal Python's; a masked-LM dataset must carry labels.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "transformers/core/tensor.hpp"

namespace transformers::training {

struct Example {
  std::vector<int64_t> input_ids;
  std::optional<std::vector<int64_t>> labels;          // same length as input_ids
  std::optional<std::vector<int64_t>> attention_mask;  // same length as input_ids
};

// One JSON object per non-blank line: {"input_ids": [ints], "labels": [ints]?, "attention_mask":
// [0/1]?}; other keys are ignored (as Trainer drops unused dataset columns). A line that is not
// such an object, an empty row, or a file without rows is a ValueError naming the file and line.
// `vocab_size` / `max_positions` (0: unchecked) bound the ids and the row length.
std::vector<Example> read_jsonl_examples(const std::string& path, int64_t vocab_size = 0, int64_t max_positions = 0);

struct LanguageModelingBatch {
  Tensor input_ids;       // [B, S] int64
  Tensor attention_mask;  // [B, S] int64
  Tensor labels;          // [B, S] int64
};

// The collator over rows [begin, end) of `examples`. Rows of different lengths need a pad token
// (ValueError otherwise, as Python's tokenizer.pad without one).
LanguageModelingBatch collate_for_language_modeling(const std::vector<Example>& examples, size_t begin, size_t end,
                                                    std::optional<int64_t> pad_token_id);

}  // namespace transformers::training
