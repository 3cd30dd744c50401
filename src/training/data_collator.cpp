// JSONL training rows and DataCollatorForLanguageModeling(mlm=False) batching.
#include "transformers/training/data_collator.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "transformers/core/error.hpp"
#include "transformers/core/quote.hpp"

namespace transformers::training {

namespace {
using nlohmann::json;

std::vector<int64_t> int_list(const json& row, const char* key, const std::string& where) {
  const json& v = row.at(key);
  if (!v.is_array()) throw ValueError(where + ": \"" + key + "\" must be a list of integers, found " + v.type_name());
  std::vector<int64_t> out;
  out.reserve(v.size());
  for (const json& x : v) {
    if (!x.is_number_integer())
      throw ValueError(where + ": \"" + key + "\" must be a list of integers, found an element " + escape_input(x.dump()));
    out.push_back(x.get<int64_t>());
  }
  return out;
}
}  // namespace

std::vector<Example> read_jsonl_examples(const std::string& path, int64_t vocab_size, int64_t max_positions) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileNotFoundError("training data: cannot read '" + path + "'");
  std::vector<Example> rows;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(n);
    const json row = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!row.is_object()) throw ValueError(where + ": expected a JSON object per line with \"input_ids\"");
    if (!row.contains("input_ids")) throw ValueError(where + ": the row has no \"input_ids\" (raw text is not tokenized here)");
    Example ex;
    ex.input_ids = int_list(row, "input_ids", where);
    if (ex.input_ids.empty()) throw ValueError(where + ": \"input_ids\" is empty");
    for (int64_t id : ex.input_ids)
      if (id < 0 || (vocab_size > 0 && id >= vocab_size))
        throw ValueError(where + ": token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                         std::to_string(vocab_size) + ")");
    if (max_positions > 0 && int64_t(ex.input_ids.size()) > max_positions)
      throw ValueError(where + ": a row of " + std::to_string(ex.input_ids.size()) +
                       " tokens is longer than the model's " + std::to_string(max_positions) + " positions");
    for (const char* key : {"labels", "attention_mask"}) {
      if (!row.contains(key) || row.at(key).is_null()) continue;
      std::vector<int64_t> v = int_list(row, key, where);
      if (v.size() != ex.input_ids.size())
        throw ValueError(where + ": \"" + key + "\" has " + std::to_string(v.size()) + " entries for " +
                         std::to_string(ex.input_ids.size()) + " input_ids");
      (std::string(key) == "labels" ? ex.labels : ex.attention_mask) = std::move(v);
    }
    if (ex.labels)
      for (int64_t l : *ex.labels)
        if (l != -100 && (l < 0 || (vocab_size > 0 && l >= vocab_size)))
          throw ValueError(where + ": label " + std::to_string(l) + " is neither -100 nor a token id below " +
                           std::to_string(vocab_size));
    rows.push_back(std::move(ex));
  }
  if (rows.empty()) throw ValueError("training data: '" + path + "' holds no rows");
  return rows;
}

LanguageModelingBatch collate_for_language_modeling(const std::vector<Example>& examples, size_t begin, size_t end,
                                                    std::optional<int64_t> pad_token_id) {
  if (begin >= end || end > examples.size()) throw ValueError("collate_for_language_modeling: empty batch");
  size_t len = 0;
  bool ragged = false;
  for (size_t i = begin; i < end; ++i) {
    if (len && examples[i].input_ids.size() != len) ragged = true;
    len = std::max(len, examples[i].input_ids.size());
  }
  if (ragged && !pad_token_id)
    throw ValueError("collate_for_language_modeling: rows of different lengths need padding, and the model's config "
                     "has no pad_token_id");
  const size_t b = end - begin;
  std::vector<int64_t> ids(b * len, pad_token_id.value_or(0)), mask(b * len, 0), labels(b * len, -100);
  for (size_t r = 0; r < b; ++r) {
    const Example& ex = examples[begin + r];
    for (size_t j = 0; j < ex.input_ids.size(); ++j) {
      const size_t k = r * len + j;  // right padding (tokenizer default padding_side)
      ids[k] = ex.input_ids[j];
      mask[k] = ex.attention_mask ? (*ex.attention_mask)[j] : 1;
      labels[k] = ex.labels ? (*ex.labels)[j] : ex.input_ids[j];
    }
  }
  // mlm=False: labels[labels == pad_token_id] = -100, the padding and any real pad-id token alike.
  if (pad_token_id)
    for (size_t r = 0; r < b; ++r)
      if (!examples[begin + r].labels)
        for (size_t j = 0; j < len; ++j)
          if (labels[r * len + j] == *pad_token_id) labels[r * len + j] = -100;
  const Shape shape{int64_t(b), int64_t(len)};
  return {Tensor::from_vector(ids, shape), Tensor::from_vector(mask, shape), Tensor::from_vector(labels, shape)};
}

}  // namespace transformers::training
