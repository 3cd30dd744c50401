#pragma once
// Logits processors and warpers with the names and semantics of transformers 4.51
// (generation/logits_process.py). Each takes the ids generated so far and the next-token scores of
// every row and returns new scores; arithmetic is float32 as torch does it on float32 scores.
//
//   LogitsProcessorList procs;
//   procs.push_back(std::make_shared<RepetitionPenaltyLogitsProcessor>(1.3f));
//   procs.push_back(std::make_shared<TopKLogitsWarper>(50));
//   Tensor new_scores = procs(input_ids, scores);   // int64 [B, L], float32 [B, V]
//
// Generation calls the row-level `process()` directly on its own buffers (no tensor per step).
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "transformers/core/tensor.hpp"

namespace transformers {

// The ids of each row so far ([batch][cur_len]); every row has the same length, as input_ids does.
using TokenRows = std::vector<std::vector<int64_t>>;

class LogitsProcessor {
 public:
  virtual ~LogitsProcessor() = default;
  // Python's __call__: input_ids int (any integer dtype) [batch, cur_len], scores floating [batch, vocab].
  // Returns a new float32 [batch, vocab] tensor; the inputs are not modified.
  Tensor operator()(const Tensor& input_ids, const Tensor& scores) const;
  // Edits `scores` (row-major [rows.size(), vocab] float32) in place.
  virtual void process(const TokenRows& rows, float* scores, int64_t vocab) const = 0;
  virtual std::string name() const = 0;
};

// Applies processors in order (Python's LogitsProcessorList).
class LogitsProcessorList {
 public:
  LogitsProcessorList() = default;
  void push_back(std::shared_ptr<LogitsProcessor> p) { items_.push_back(std::move(p)); }
  Tensor operator()(const Tensor& input_ids, const Tensor& scores) const;
  void process(const TokenRows& rows, float* scores, int64_t vocab) const;
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const LogitsProcessor& operator[](size_t i) const { return *items_[i]; }
  std::vector<std::string> names() const;

 private:
  std::vector<std::shared_ptr<LogitsProcessor>> items_;
};

// ---------------------------------------------------------------- processors

class MinLengthLogitsProcessor : public LogitsProcessor {
 public:
  MinLengthLogitsProcessor(int64_t min_length, std::vector<int64_t> eos_token_id);
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "MinLengthLogitsProcessor"; }
 private:
  int64_t min_length_;
  std::vector<int64_t> eos_;
};

class MinNewTokensLengthLogitsProcessor : public LogitsProcessor {
 public:
  MinNewTokensLengthLogitsProcessor(int64_t prompt_length_to_skip, int64_t min_new_tokens,
                                    std::vector<int64_t> eos_token_id);
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "MinNewTokensLengthLogitsProcessor"; }
 private:
  int64_t prompt_len_, min_new_;
  std::vector<int64_t> eos_;
};

class RepetitionPenaltyLogitsProcessor : public LogitsProcessor {
 public:
  explicit RepetitionPenaltyLogitsProcessor(double penalty);
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "RepetitionPenaltyLogitsProcessor"; }
 private:
  float penalty_;
};

class NoRepeatNGramLogitsProcessor : public LogitsProcessor {
 public:
  explicit NoRepeatNGramLogitsProcessor(int64_t ngram_size);
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "NoRepeatNGramLogitsProcessor"; }
 private:
  int64_t n_;
};

// Adds a bias to the last token of each sequence when the sequence's prefix ends the row (a
// one-token sequence always applies). Later duplicates of a sequence replace earlier ones.
class SequenceBiasLogitsProcessor : public LogitsProcessor {
 public:
  using SequenceBias = std::vector<std::pair<std::vector<int64_t>, float>>;
  explicit SequenceBiasLogitsProcessor(SequenceBias sequence_bias);
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "SequenceBiasLogitsProcessor"; }
 protected:
  SequenceBias bias_;  // deduplicated, first-insertion order (a Python dict)
};

// Bans sequences: -inf on the last token when the rest ends the row. A one-token bad word equal to
// an eos token is dropped, as Python does.
class NoBadWordsLogitsProcessor : public SequenceBiasLogitsProcessor {
 public:
  NoBadWordsLogitsProcessor(const std::vector<std::vector<int64_t>>& bad_words_ids,
                            const std::vector<int64_t>& eos_token_id = {});
  std::string name() const override { return "NoBadWordsLogitsProcessor"; }
};

class ForcedBOSTokenLogitsProcessor : public LogitsProcessor {
 public:
  explicit ForcedBOSTokenLogitsProcessor(int64_t bos_token_id) : bos_(bos_token_id) {}
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "ForcedBOSTokenLogitsProcessor"; }
 private:
  int64_t bos_;
};

class ForcedEOSTokenLogitsProcessor : public LogitsProcessor {
 public:
  ForcedEOSTokenLogitsProcessor(int64_t max_length, std::vector<int64_t> eos_token_id);
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "ForcedEOSTokenLogitsProcessor"; }
 private:
  int64_t max_length_;
  std::vector<int64_t> eos_;
};

class InfNanRemoveLogitsProcessor : public LogitsProcessor {
 public:
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "InfNanRemoveLogitsProcessor"; }
};

class ExponentialDecayLengthPenalty : public LogitsProcessor {
 public:
  // exponential_decay_length_penalty = (start_index, decay_factor)
  ExponentialDecayLengthPenalty(std::pair<int64_t, double> exponential_decay_length_penalty,
                                std::vector<int64_t> eos_token_id, int64_t input_ids_seq_length);
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "ExponentialDecayLengthPenalty"; }
 private:
  int64_t regulation_start_;
  double regulation_factor_;
  std::vector<int64_t> eos_;
};

// log_softmax of the scores (Python's LogitNormalization; `renormalize_logits`).
class LogitNormalization : public LogitsProcessor {
 public:
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "LogitNormalization"; }
};

class SuppressTokensLogitsProcessor : public LogitsProcessor {
 public:
  explicit SuppressTokensLogitsProcessor(std::vector<int64_t> suppress_tokens) : tokens_(std::move(suppress_tokens)) {}
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "SuppressTokensLogitsProcessor"; }
 private:
  std::vector<int64_t> tokens_;
};

class SuppressTokensAtBeginLogitsProcessor : public LogitsProcessor {
 public:
  SuppressTokensAtBeginLogitsProcessor(std::vector<int64_t> begin_suppress_tokens, int64_t begin_index)
      : tokens_(std::move(begin_suppress_tokens)), begin_index_(begin_index) {}
  void set_begin_index(int64_t begin_index) { begin_index_ = begin_index; }
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "SuppressTokensAtBeginLogitsProcessor"; }
 private:
  std::vector<int64_t> tokens_;
  int64_t begin_index_;
};

// ---------------------------------------------------------------- warpers (sampling only)

class TemperatureLogitsWarper : public LogitsProcessor {
 public:
  explicit TemperatureLogitsWarper(double temperature);
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "TemperatureLogitsWarper"; }
 private:
  float temperature_;
};

inline constexpr float kFilterValue = -std::numeric_limits<float>::infinity();

class TopKLogitsWarper : public LogitsProcessor {
 public:
  explicit TopKLogitsWarper(int64_t top_k, float filter_value = kFilterValue, int64_t min_tokens_to_keep = 1);
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "TopKLogitsWarper"; }
 private:
  int64_t top_k_;
  float filter_;
};

class TopPLogitsWarper : public LogitsProcessor {
 public:
  explicit TopPLogitsWarper(double top_p, float filter_value = kFilterValue, int64_t min_tokens_to_keep = 1);
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "TopPLogitsWarper"; }
 private:
  double top_p_;
  float filter_;
  int64_t min_keep_;
};

class MinPLogitsWarper : public LogitsProcessor {
 public:
  explicit MinPLogitsWarper(double min_p, float filter_value = kFilterValue, int64_t min_tokens_to_keep = 1);
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "MinPLogitsWarper"; }
 private:
  double min_p_;
  float filter_;
  int64_t min_keep_;
};

class TypicalLogitsWarper : public LogitsProcessor {
 public:
  explicit TypicalLogitsWarper(double mass = 0.9, float filter_value = kFilterValue, int64_t min_tokens_to_keep = 1);
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "TypicalLogitsWarper"; }
 private:
  double mass_;
  float filter_;
  int64_t min_keep_;
};

class EpsilonLogitsWarper : public LogitsProcessor {
 public:
  explicit EpsilonLogitsWarper(double epsilon, float filter_value = kFilterValue, int64_t min_tokens_to_keep = 1);
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "EpsilonLogitsWarper"; }
 private:
  float epsilon_;
  float filter_;
  int64_t min_keep_;
};

class EtaLogitsWarper : public LogitsProcessor {
 public:
  explicit EtaLogitsWarper(double epsilon, float filter_value = kFilterValue, int64_t min_tokens_to_keep = 1);
  void process(const TokenRows& rows, float* scores, int64_t vocab) const override;
  std::string name() const override { return "EtaLogitsWarper"; }
 private:
  float epsilon_;
  float filter_;
  int64_t min_keep_;
};

namespace generation_detail {
// Row helpers shared by processors and the search loops (float32 results, as torch on float32).
void softmax_row(const float* x, float* out, int64_t n);
void log_softmax_row(const float* x, float* out, int64_t n);
// Copies scores to a contiguous float32 [rows, vocab] vector; ids to TokenRows (checked 2-D).
std::vector<float> scores_to_vector(const Tensor& scores, int64_t& rows, int64_t& vocab);
TokenRows ids_to_rows(const Tensor& input_ids);
}  // namespace generation_detail

}  // namespace transformers
