#pragma once
// The training / evaluation files of `transformers-cli train` as run_clm.py / run_mlm.py prepare
// them: JSONL rows already tokenized are used as they are; a plain-text file (one row per line, as
// datasets' "text" loader) or a CSV file (its "text" column, else its first) is tokenized with the
// model's tokenizer (tokenizer(texts), special tokens added) and packed with group_texts into rows
// of block_size tokens (the remainder dropped).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "transformers/training/data_collator.hpp"

namespace transformers::cli {

struct TrainDataOptions {
  std::string tokenizer;  // folder / tokenizer.json / repo id of the tokenizer for text and CSV files
  int64_t block_size = 0;  // group_texts' block size
  bool causal = true;      // run_clm (labels = input_ids) or run_mlm (the collator masks)
  int64_t vocab_size = 0;  // the model's: token ids must be below it
  int64_t max_positions = 0;
};

// Which reader a file takes: "json" (.json / .jsonl), "text" (.txt), "csv" (.csv) by its extension,
// as datasets.load_dataset picks the builder; ValueError naming the file otherwise.
std::string data_file_kind(const std::string& path);

std::vector<training::Example> read_training_file(const std::string& path, const TrainDataOptions& options);

// The texts of a CSV file (RFC 4180 as Python's csv module reads it: quoted fields with doubled
// quotes and line breaks inside): the "text" column if the header names one, else the first.
// FormatError naming the file and line for an unterminated quote or a row shorter than the header.
std::vector<std::string> read_csv_texts(const std::string& path);

// DataCollatorForLanguageModeling(tokenizer, mlm=True, mlm_probability)'s masking options from the
// tokenizer: its mask token (ValueError when it has none, as the collator's constructor), len(tokenizer)
// and its special tokens' ids.
training::MaskingOptions masking_options(const std::string& tokenizer, double mlm_probability);

}  // namespace transformers::cli
