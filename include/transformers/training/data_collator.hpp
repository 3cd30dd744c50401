#pragma once
// Training data as the Trainer receives it from a tokenized Hugging Face dataset: rows of
// `input_ids` (and optionally `labels`, `attention_mask`) read from JSONL, and the language-modeling
// collator that batches them (4.51's DataCollatorForLanguageModeling with mlm=False: rows padded
// to the longest with the pad token, labels = input_ids with every pad-token position set to -100;
// rows that carry their own `labels` keep them, padded with -100, as DataCollatorForSeq2Seq /
// masked-LM datasets prepared beforehand do).
//
// mask_tokens is the collator with mlm=True (15 % of the tokens selected, 80 % of those become the
// mask token, 10 % a random token, 10 % stay); its positions come from our generator, not torch's
// stream. group_texts is the packing of run_clm.py / run_mlm.py. Tokenizing text is the caller's
// (tokenizers come after training in the layer order).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "transformers/core/tensor.hpp"
#include "transformers/ops/random.hpp"

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

// DataCollatorForLanguageModeling(mlm=True)'s arguments beside the tokenizer, which gives the
// mask token, len(tokenizer) and the special ids.
struct MaskingOptions {
  int64_t mask_token_id = -1;
  int64_t vocab_size = 0;              // len(tokenizer): random replacements are drawn from [0, vocab_size)
  std::vector<int64_t> special_ids{};  // all_special_ids (the pad token among them): never selected
  double mlm_probability = 0.15;
  double mask_replace_prob = 0.8;
  double random_replace_prob = 0.1;
};

// torch_mask_tokens on a collated batch, in place: each token that is not special and not padding
// (attention_mask 0) is selected with mlm_probability; labels = the original id where selected,
// -100 elsewhere; a selected token becomes mask_token_id with mask_replace_prob, else a uniform
// random id with random_replace_prob / (1 - mask_replace_prob), else stays. The draws are made in
// Python's order (selection, then replacement, then random, then the random ids, each over the
// whole batch). Python's argument checks are ValueErrors.
void mask_tokens(LanguageModelingBatch& batch, const MaskingOptions& options, ops::Generator& gen);

// run_clm.py's group_texts: every row's input_ids (and attention_mask) concatenated in order and
// cut into rows of block_size, the remainder dropped (fewer tokens than block_size: no rows). With
// copy_labels each row's labels = its input_ids (run_clm.py, whose default_data_collator uses them
// as they are); without, no labels (run_mlm.py: the masking collator makes them). ValueError unless
// block_size >= 1.
std::vector<Example> group_texts(const std::vector<Example>& rows, int64_t block_size, bool copy_labels = true);

}  // namespace transformers::training
