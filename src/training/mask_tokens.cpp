// DataCollatorForLanguageModeling(mlm=True)'s masking and run_clm.py's group_texts (4.51).
#include <algorithm>
#include <set>
#include <string>

#include "transformers/core/error.hpp"
#include "transformers/training/data_collator.hpp"

namespace transformers::training {

namespace {
void check_probability(double p, const char* name) {
  if (!(p >= 0 && p <= 1)) throw ValueError(std::string(name) + " should be between 0 and 1, found " + std::to_string(p));
}

// torch.bernoulli(torch.full(shape, p)) over n elements.
std::vector<char> bernoulli(size_t n, double p, ops::Generator& gen) {
  std::vector<char> out(n);
  for (char& c : out) c = gen.uniform() < p;
  return out;
}
}  // namespace

void mask_tokens(LanguageModelingBatch& batch, const MaskingOptions& o, ops::Generator& gen) {
  check_probability(o.mlm_probability, "mlm_probability");
  check_probability(o.mask_replace_prob, "mask_replace_prob");
  check_probability(o.random_replace_prob, "random_replace_prob");
  if (o.mask_replace_prob + o.random_replace_prob > 1)
    throw ValueError("The sum of mask_replace_prob and random_replace_prob should not exceed 1 (found " +
                     std::to_string(o.mask_replace_prob) + " + " + std::to_string(o.random_replace_prob) + ")");
  if (o.vocab_size < 1 || o.mask_token_id < 0 || o.mask_token_id >= o.vocab_size)
    throw ValueError("mask_tokens: the tokenizer needs a mask token below its size " + std::to_string(o.vocab_size) +
                     " for masked language modeling, found mask token id " + std::to_string(o.mask_token_id));
  std::vector<int64_t> ids = batch.input_ids.to_vector<int64_t>();
  const std::vector<int64_t> attention = batch.attention_mask.to_vector<int64_t>();
  const std::set<int64_t> special(o.special_ids.begin(), o.special_ids.end());
  const size_t n = ids.size();
  std::vector<int64_t> labels(n, -100);
  // probability_matrix.masked_fill_(special_tokens_mask, 0): special ids and padding never selected.
  std::vector<char> selected(n);
  for (size_t i = 0; i < n; ++i) {
    const bool eligible = !special.count(ids[i]) && attention[i] != 0;
    const bool draw = gen.uniform() < o.mlm_probability;  // drawn for every element, as torch.bernoulli does
    selected[i] = eligible && draw;
  }
  const std::vector<char> replaced = bernoulli(n, o.mask_replace_prob, gen);
  const double remaining = 1 - o.mask_replace_prob;
  const std::vector<char> randomised = bernoulli(n, remaining > 0 ? o.random_replace_prob / remaining : 0.0, gen);
  std::vector<int64_t> random_words(n);
  for (int64_t& w : random_words) w = std::min<int64_t>(int64_t(gen.uniform() * double(o.vocab_size)), o.vocab_size - 1);
  for (size_t i = 0; i < n; ++i) {
    if (!selected[i]) continue;
    labels[i] = ids[i];
    if (replaced[i]) ids[i] = o.mask_token_id;
    else if (randomised[i]) ids[i] = random_words[i];
  }
  batch.input_ids = Tensor::from_vector(ids, batch.input_ids.sizes());
  batch.labels = Tensor::from_vector(labels, batch.input_ids.sizes());
}

std::vector<Example> group_texts(const std::vector<Example>& rows, int64_t block_size, bool copy_labels) {
  if (block_size < 1) throw ValueError("group_texts: block_size must be >= 1, found " + std::to_string(block_size));
  std::vector<int64_t> ids, mask;
  bool has_mask = false;
  for (const Example& r : rows) has_mask = has_mask || r.attention_mask.has_value();
  for (const Example& r : rows) {
    ids.insert(ids.end(), r.input_ids.begin(), r.input_ids.end());
    if (has_mask) {
      if (r.attention_mask) mask.insert(mask.end(), r.attention_mask->begin(), r.attention_mask->end());
      else mask.insert(mask.end(), r.input_ids.size(), 1);
    }
  }
  const size_t block = size_t(block_size), total = ids.size() / block * block;
  std::vector<Example> out;
  for (size_t start = 0; start < total; start += block) {
    Example e;
    e.input_ids.assign(ids.begin() + long(start), ids.begin() + long(start + block));
    if (has_mask) e.attention_mask = std::vector<int64_t>(mask.begin() + long(start), mask.begin() + long(start + block));
    if (copy_labels) e.labels = e.input_ids;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace transformers::training
