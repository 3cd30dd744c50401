// Logits processors of transformers 4.51 (see logits_process.hpp). Everything works on contiguous
// float32 rows; values are computed in float32 the way torch computes them on float32 tensors.
#include "transformers/generation/logits_process.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>

namespace transformers {

namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

void check_token(int64_t id, int64_t vocab, const char* who) {
  if (id < 0 || id >= vocab)
    throw ValueError(std::string(who) + ": token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                     std::to_string(vocab) + ")");
}

std::vector<int64_t> check_ids(std::vector<int64_t> ids, const char* who, const char* what) {
  for (int64_t id : ids)
    if (id < 0)
      throw ValueError(std::string(who) + ": `" + what + "` has to be a list of positive integers, but contains " +
                       std::to_string(id));
  return ids;
}

int64_t cur_len_of(const TokenRows& rows) { return rows.empty() ? 0 : int64_t(rows[0].size()); }
}  // namespace

namespace generation_detail {

std::vector<float> scores_to_vector(const Tensor& scores, int64_t& rows, int64_t& vocab) {
  if (!scores.defined() || scores.dim() != 2)
    throw ShapeError("LogitsProcessor: scores must be a 2-D [batch, vocab] tensor, found " +
                     (scores.defined() ? shape_str(scores.shape()) : std::string("an undefined tensor")));
  if (!scores.is_floating_point())
    throw ValueError("LogitsProcessor: scores must be floating point, found " + std::string(dtype_name(scores.dtype())));
  rows = scores.size(0);
  vocab = scores.size(1);
  return scores.to_vector<float>();
}

TokenRows ids_to_rows(const Tensor& input_ids) {
  if (!input_ids.defined() || input_ids.dim() != 2)
    throw ShapeError("LogitsProcessor: input_ids must be a 2-D [batch, length] tensor, found " +
                     (input_ids.defined() ? shape_str(input_ids.shape()) : std::string("an undefined tensor")));
  if (input_ids.is_floating_point())
    throw ValueError("LogitsProcessor: input_ids must be integers, found " + std::string(dtype_name(input_ids.dtype())));
  std::vector<int64_t> flat = input_ids.to_vector<int64_t>();
  const int64_t b = input_ids.size(0), l = input_ids.size(1);
  TokenRows rows(static_cast<size_t>(b));
  for (int64_t i = 0; i < b; ++i) rows[size_t(i)].assign(flat.begin() + i * l, flat.begin() + (i + 1) * l);
  return rows;
}

}  // namespace generation_detail

Tensor LogitsProcessor::operator()(const Tensor& input_ids, const Tensor& scores) const {
  int64_t b = 0, v = 0;
  std::vector<float> s = generation_detail::scores_to_vector(scores, b, v);
  TokenRows rows = generation_detail::ids_to_rows(input_ids);
  if (int64_t(rows.size()) != b)
    throw ShapeError(name() + ": input_ids has " + std::to_string(rows.size()) + " rows but scores has " +
                     std::to_string(b));
  process(rows, s.data(), v);
  return Tensor::from_vector(s, {b, v});
}

Tensor LogitsProcessorList::operator()(const Tensor& input_ids, const Tensor& scores) const {
  int64_t b = 0, v = 0;
  std::vector<float> s = generation_detail::scores_to_vector(scores, b, v);
  TokenRows rows = generation_detail::ids_to_rows(input_ids);
  if (int64_t(rows.size()) != b)
    throw ShapeError("LogitsProcessorList: input_ids has " + std::to_string(rows.size()) +
                     " rows but scores has " + std::to_string(b));
  process(rows, s.data(), v);
  return Tensor::from_vector(s, {b, v});
}

void LogitsProcessorList::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  for (const auto& p : items_) p->process(rows, scores, vocab);
}

std::vector<std::string> LogitsProcessorList::names() const {
  std::vector<std::string> out;
  for (const auto& p : items_) out.push_back(p->name());
  return out;
}

// ---------------------------------------------------------------- min length

MinLengthLogitsProcessor::MinLengthLogitsProcessor(int64_t min_length, std::vector<int64_t> eos_token_id)
    : min_length_(min_length), eos_(std::move(eos_token_id)) {
  if (min_length < 0)
    throw ValueError("MinLengthLogitsProcessor: `min_length` has to be a non-negative integer, but is " +
                     std::to_string(min_length));
}

void MinLengthLogitsProcessor::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  if (cur_len_of(rows) >= min_length_) return;
  for (size_t r = 0; r < rows.size(); ++r)
    for (int64_t e : eos_)
      if (e >= 0 && e < vocab) scores[int64_t(r) * vocab + e] = kNegInf;  // isin over the vocab ignores others
}

MinNewTokensLengthLogitsProcessor::MinNewTokensLengthLogitsProcessor(int64_t prompt_length_to_skip,
                                                                     int64_t min_new_tokens,
                                                                     std::vector<int64_t> eos_token_id)
    : prompt_len_(prompt_length_to_skip), min_new_(min_new_tokens), eos_(std::move(eos_token_id)) {
  if (prompt_length_to_skip < 0 || min_new_tokens < 0)
    throw ValueError("MinNewTokensLengthLogitsProcessor: `prompt_length_to_skip` and `min_new_tokens` have to be "
                     "non-negative integers, found " + std::to_string(prompt_length_to_skip) + " and " +
                     std::to_string(min_new_tokens));
}

void MinNewTokensLengthLogitsProcessor::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  if (cur_len_of(rows) - prompt_len_ >= min_new_) return;
  for (size_t r = 0; r < rows.size(); ++r)
    for (int64_t e : eos_)
      if (e >= 0 && e < vocab) scores[int64_t(r) * vocab + e] = kNegInf;
}

// ---------------------------------------------------------------- repetition / n-grams

RepetitionPenaltyLogitsProcessor::RepetitionPenaltyLogitsProcessor(double penalty) : penalty_(float(penalty)) {
  if (!(penalty > 0))
    throw ValueError("RepetitionPenaltyLogitsProcessor: `penalty` has to be a strictly positive float, but is " +
                     std::to_string(penalty));
}

void RepetitionPenaltyLogitsProcessor::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  for (size_t r = 0; r < rows.size(); ++r) {
    float* s = scores + int64_t(r) * vocab;
    // gather-then-scatter: a token seen several times is penalised once
    std::set<int64_t> seen(rows[r].begin(), rows[r].end());
    for (int64_t id : seen) {
      check_token(id, vocab, "RepetitionPenaltyLogitsProcessor");
      const float v = s[id];
      s[id] = v < 0 ? v * penalty_ : v / penalty_;
    }
  }
}

NoRepeatNGramLogitsProcessor::NoRepeatNGramLogitsProcessor(int64_t ngram_size) : n_(ngram_size) {
  if (ngram_size <= 0)
    throw ValueError("NoRepeatNGramLogitsProcessor: `ngram_size` has to be a strictly positive integer, but is " +
                     std::to_string(ngram_size));
}

void NoRepeatNGramLogitsProcessor::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  const int64_t cur_len = cur_len_of(rows);
  if (cur_len + 1 < n_) return;
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& ids = rows[r];
    // The last n-1 tokens; every earlier n-gram starting with them bans its last token.
    const int64_t start = cur_len + 1 - n_;
    for (int64_t i = 0; i + n_ <= cur_len; ++i) {
      bool match = true;
      for (int64_t k = 0; k < n_ - 1 && match; ++k) match = ids[size_t(i + k)] == ids[size_t(start + k)];
      if (!match) continue;
      const int64_t banned = ids[size_t(i + n_ - 1)];
      check_token(banned, vocab, "NoRepeatNGramLogitsProcessor");
      scores[int64_t(r) * vocab + banned] = kNegInf;
    }
  }
}

// ---------------------------------------------------------------- sequence bias / bad words

SequenceBiasLogitsProcessor::SequenceBiasLogitsProcessor(SequenceBias sequence_bias) {
  if (sequence_bias.empty())
    throw ValueError("SequenceBiasLogitsProcessor: `sequence_bias` has to be non-empty");
  for (auto& [ids, bias] : sequence_bias) {
    if (ids.empty()) throw ValueError("SequenceBiasLogitsProcessor: every biased sequence must be non-empty");
    check_ids(ids, "SequenceBiasLogitsProcessor", "sequence_bias");
    bool replaced = false;
    for (auto& [have, b] : bias_)
      if (have == ids) { b = bias; replaced = true; }
    if (!replaced) bias_.emplace_back(ids, bias);
  }
}

void SequenceBiasLogitsProcessor::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  for (const auto& [ids, b] : bias_)
    for (int64_t id : ids)
      if (id >= vocab)
        throw ValueError(name() + ": the model vocabulary size is " + std::to_string(vocab) +
                         ", but token " + std::to_string(id) + " is biased");
  const int64_t cur_len = cur_len_of(rows);
  std::vector<float> length1(size_t(vocab), 0.0f);
  for (const auto& [ids, b] : bias_)
    if (ids.size() == 1) length1[size_t(ids[0])] = b;
  std::vector<float> bias(static_cast<size_t>(vocab));
  for (size_t r = 0; r < rows.size(); ++r) {
    for (int64_t v = 0; v < vocab; ++v) bias[size_t(v)] = 0.0f + length1[size_t(v)];
    for (const auto& [ids, b] : bias_) {
      if (ids.size() == 1 || int64_t(ids.size()) > cur_len) continue;
      const int64_t prefix = int64_t(ids.size()) - 1;
      bool match = true;
      for (int64_t k = 0; k < prefix && match; ++k)
        match = rows[r][size_t(cur_len - prefix + k)] == ids[size_t(k)];
      bias[size_t(ids.back())] += match ? b : 0.0f;
    }
    float* s = scores + int64_t(r) * vocab;
    for (int64_t v = 0; v < vocab; ++v) s[v] = s[v] + bias[size_t(v)];
  }
}

namespace {
SequenceBiasLogitsProcessor::SequenceBias bad_words_to_bias(const std::vector<std::vector<int64_t>>& bad,
                                                            const std::vector<int64_t>& eos) {
  if (bad.empty()) throw ValueError("NoBadWordsLogitsProcessor: `bad_words_ids` has to be a non-empty list");
  SequenceBiasLogitsProcessor::SequenceBias out;
  for (const auto& seq : bad) {
    check_ids(seq, "NoBadWordsLogitsProcessor", "bad_words_ids");
    bool is_eos = false;
    for (int64_t e : eos) is_eos = is_eos || (seq.size() == 1 && seq[0] == e);
    if (!is_eos) out.emplace_back(seq, -std::numeric_limits<float>::infinity());
  }
  return out;
}
}  // namespace

NoBadWordsLogitsProcessor::NoBadWordsLogitsProcessor(const std::vector<std::vector<int64_t>>& bad_words_ids,
                                                     const std::vector<int64_t>& eos_token_id)
    : SequenceBiasLogitsProcessor(bad_words_to_bias(bad_words_ids, eos_token_id)) {}

// ---------------------------------------------------------------- forced tokens

void ForcedBOSTokenLogitsProcessor::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  if (cur_len_of(rows) != 1) return;
  check_token(bos_, vocab, "ForcedBOSTokenLogitsProcessor");
  for (size_t r = 0; r < rows.size(); ++r) {
    float* s = scores + int64_t(r) * vocab;
    std::fill(s, s + vocab, kNegInf);
    s[bos_] = 0.0f;
  }
}

ForcedEOSTokenLogitsProcessor::ForcedEOSTokenLogitsProcessor(int64_t max_length, std::vector<int64_t> eos_token_id)
    : max_length_(max_length), eos_(check_ids(std::move(eos_token_id), "ForcedEOSTokenLogitsProcessor", "eos_token_id")) {}

void ForcedEOSTokenLogitsProcessor::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  if (cur_len_of(rows) != max_length_ - 1) return;
  for (size_t r = 0; r < rows.size(); ++r) {
    float* s = scores + int64_t(r) * vocab;
    std::fill(s, s + vocab, kNegInf);
    for (int64_t e : eos_) {
      check_token(e, vocab, "ForcedEOSTokenLogitsProcessor");
      s[e] = 0.0f;
    }
  }
}

void InfNanRemoveLogitsProcessor::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  const float big = std::numeric_limits<float>::max();
  for (int64_t i = 0, n = int64_t(rows.size()) * vocab; i < n; ++i) {
    float& v = scores[i];
    if (std::isnan(v)) v = 0.0f;
    else if (std::isinf(v)) v = v > 0 ? big : -big;
  }
}

ExponentialDecayLengthPenalty::ExponentialDecayLengthPenalty(std::pair<int64_t, double> penalty,
                                                             std::vector<int64_t> eos_token_id,
                                                             int64_t input_ids_seq_length)
    : regulation_start_(penalty.first + input_ids_seq_length),
      regulation_factor_(penalty.second),
      eos_(check_ids(std::move(eos_token_id), "ExponentialDecayLengthPenalty", "eos_token_id")) {
  // penalties[:, eos] = ... assigns, so a repeated eos id counts once
  std::vector<int64_t> unique;
  for (int64_t e : eos_)
    if (std::find(unique.begin(), unique.end(), e) == unique.end()) unique.push_back(e);
  eos_ = std::move(unique);
}

void ExponentialDecayLengthPenalty::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  const int64_t cur_len = cur_len_of(rows);
  if (cur_len <= regulation_start_) return;
  // Python float arithmetic for the factor, then a float32 multiply as torch does.
  const float factor = float(std::pow(regulation_factor_, double(cur_len - regulation_start_)) - 1.0);
  for (size_t r = 0; r < rows.size(); ++r) {
    float* s = scores + int64_t(r) * vocab;
    std::vector<float> pen(eos_.size());
    for (size_t k = 0; k < eos_.size(); ++k) {
      check_token(eos_[k], vocab, "ExponentialDecayLengthPenalty");
      pen[k] = std::fabs(s[eos_[k]]) * factor;
    }
    for (size_t k = 0; k < eos_.size(); ++k) s[eos_[k]] = s[eos_[k]] + pen[k];
  }
}

void SuppressTokensLogitsProcessor::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  for (size_t r = 0; r < rows.size(); ++r)
    for (int64_t t : tokens_)
      if (t >= 0 && t < vocab) scores[int64_t(r) * vocab + t] = kNegInf;
}

void SuppressTokensAtBeginLogitsProcessor::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  if (cur_len_of(rows) != begin_index_) return;
  for (size_t r = 0; r < rows.size(); ++r)
    for (int64_t t : tokens_)
      if (t >= 0 && t < vocab) scores[int64_t(r) * vocab + t] = kNegInf;
}

}  // namespace transformers
