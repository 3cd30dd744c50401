#pragma once
// Stopping criteria with the names and semantics of transformers 4.51 (stopping_criteria.py). Each
// says, per row, whether that row is done given the ids so far; the list ORs them.
//
//   StoppingCriteriaList stop;
//   stop.push_back(std::make_shared<MaxLengthCriteria>(20));
//   stop.push_back(std::make_shared<EosTokenCriteria>(std::vector<int64_t>{2}));
//   Tensor done = stop(input_ids, {});   // bool [batch]
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transformers/core/tensor.hpp"
#include "transformers/generation/logits_process.hpp"

namespace transformers {

class Tokenizer;

class StoppingCriteria {
 public:
  virtual ~StoppingCriteria() = default;
  // Python's __call__: input_ids integer [batch, cur_len] -> bool [batch]. `scores` is unused by
  // the criteria here (kept for Python's signature).
  Tensor operator()(const Tensor& input_ids, const Tensor& scores = {}) const;
  virtual std::vector<bool> is_done(const TokenRows& rows) const = 0;
  virtual std::string name() const = 0;
};

class StoppingCriteriaList {
 public:
  void push_back(std::shared_ptr<StoppingCriteria> c) { items_.push_back(std::move(c)); }
  Tensor operator()(const Tensor& input_ids, const Tensor& scores = {}) const;
  std::vector<bool> is_done(const TokenRows& rows) const;
  // The max_length of the first MaxLengthCriteria (Python's property), nullopt when none.
  std::optional<int64_t> max_length() const;
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const StoppingCriteria& operator[](size_t i) const { return *items_[i]; }
  std::vector<std::string> names() const;

 private:
  std::vector<std::shared_ptr<StoppingCriteria>> items_;
};

class MaxLengthCriteria : public StoppingCriteria {
 public:
  explicit MaxLengthCriteria(int64_t max_length, std::optional<int64_t> max_position_embeddings = std::nullopt)
      : max_length(max_length), max_position_embeddings(max_position_embeddings) {}
  std::vector<bool> is_done(const TokenRows& rows) const override;
  std::string name() const override { return "MaxLengthCriteria"; }
  int64_t max_length;
  std::optional<int64_t> max_position_embeddings;
};

class MaxTimeCriteria : public StoppingCriteria {
 public:
  using Clock = std::chrono::steady_clock;
  // Done once more than `max_time` seconds have passed since `initial_timestamp` (default: now).
  explicit MaxTimeCriteria(double max_time, std::optional<Clock::time_point> initial_timestamp = std::nullopt)
      : max_time(max_time), initial_timestamp(initial_timestamp.value_or(Clock::now())) {}
  std::vector<bool> is_done(const TokenRows& rows) const override;
  std::string name() const override { return "MaxTimeCriteria"; }
  double max_time;
  Clock::time_point initial_timestamp;
};

class EosTokenCriteria : public StoppingCriteria {
 public:
  explicit EosTokenCriteria(std::vector<int64_t> eos_token_id);
  std::vector<bool> is_done(const TokenRows& rows) const override;
  std::string name() const override { return "EosTokenCriteria"; }
  std::vector<int64_t> eos_token_id;
};

// Done when one of the stop strings ends inside the row's last token, reading the tokens as text the
// way Python does: each vocabulary token's string is what the tokenizer's decoder makes of it after
// the prefix "abcdef", and only the last max(len(stop string)) tokens are looked at. Lengths count
// Unicode code points (Python str).
class StopStringCriteria : public StoppingCriteria {
 public:
  StopStringCriteria(const Tokenizer& tokenizer, std::vector<std::string> stop_strings);
  std::vector<bool> is_done(const TokenRows& rows) const override;
  std::string name() const override { return "StopStringCriteria"; }
  const std::vector<std::string>& stop_strings() const { return stop_strings_; }
  // The cleaned string of a token id (empty for ids the vocabulary lacks).
  const std::u32string& token_string(int64_t id) const;

 private:
  std::vector<std::string> stop_strings_;
  std::vector<std::u32string> stops_;
  std::vector<std::u32string> token_strings_;  // by id
  int64_t maximum_token_len_ = 0;
};

}  // namespace transformers
