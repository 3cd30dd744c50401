#pragma once
// Continuous batching: one running decode batch that sequences join and leave between steps, each
// step one forward over all running rows (the projections are one product over [rows, hidden], so
// the weights are read once per step whatever the batch size). What a sequence generates equals
// generate() on its prompt alone, token for token (same processors, stopping criteria and, with a
// generator, the same samples):
//
//   ContinuousBatch batch(model);
//   SequenceStep first = batch.add({.input_ids = prompt_a, .options = {.max_new_tokens = 20}});
//   batch.add({.input_ids = prompt_b, .options = {.do_sample = true, .generator = &gen_b}});
//   while (batch.size() > 0)
//     for (const SequenceStep& s : batch.step()) ...;  // one token per running sequence
//
// How the rows stay ragged: joining prompts are prefilled together in groups of similar length
// (add_all), then each one's keys/values are copied into its own row of the shared Cache. Row r
// holds len_r cached tokens in columns [0, len_r); the cache's common length is max(len_r). A step
// writes every row's new entry at that common column (the Cache's update), masks the unused columns
// [len_r, max) of each row, then moves the entry down to column len_r, so no row ever holds another
// row's padding for longer than one step and a row's columns are exactly its own tokens. A finished
// or removed row leaves the cache at once (its slot is dropped; the others keep theirs).
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <vector>

#include "transformers/generation/utils.hpp"

namespace transformers {

struct SequenceRequest {
  std::vector<int64_t> input_ids;  // the prompt (non-empty)
  // generate()'s options for this sequence (greedy/sampling and their processors, max_new_tokens,
  // eos, stopping criteria, generator: the sequence's own random numbers). Beam search and
  // num_return_sequences > 1 are not batch options (add a sequence per return sequence).
  GenerationOptions options;
  // Set: each step also reports the chosen token's log-probability under the model (log-softmax of
  // the raw logits, as OpenAI's `logprobs`) and this many most likely alternatives (0 = none).
  std::optional<int64_t> top_logprobs;
};

struct TokenLogprob {
  int64_t token = 0;
  float logprob = 0;
};

// One sequence's token of a step.
struct SequenceStep {
  int64_t id = 0;        // as add() returned it
  int64_t token = 0;     // the token chosen
  bool finished = false; // the stopping criteria hold: the sequence has left the batch
  bool eos = false;      // finished on one of its eos tokens
  TokenLogprob chosen;               // with top_logprobs set
  std::vector<TokenLogprob> top;     // the top_logprobs most likely tokens, most likely first
};

class ContinuousBatch {
 public:
  explicit ContinuousBatch(PreTrainedModel& model);
  ~ContinuousBatch();
  ContinuousBatch(const ContinuousBatch&) = delete;
  ContinuousBatch& operator=(const ContinuousBatch&) = delete;

  // Prefills the prompt, chooses its first token and (unless that finishes it) adds the sequence to
  // the running batch. Errors as generate() gives them for the same prompt and options (ShapeError
  // for an empty prompt, UnsupportedError for beams, encoder-decoder models or
  // num_return_sequences > 1); nothing is added then.
  SequenceStep add(SequenceRequest request);
  // Several prompts joining at once (serve's requests that arrived since the last step). Their
  // prefill is batched: prompts of similar length share one forward, left-padded to the group's
  // longest with the padding masked (at most a quarter of a group's tokens are padding; equal
  // lengths none), each row with its own positions; the rows' keys/values then join the batch
  // cache in one rebuild, each in its own row from column 0. One result per request, in order: its
  // first step, or the error add() would have thrown for it (the others still join). Ids are
  // given in request order.
  struct Added {
    SequenceStep first;
    std::exception_ptr error;
  };
  std::vector<Added> add_all(std::vector<SequenceRequest> requests);
  // One decode step of every running sequence (one forward over [rows, 1]); the sequences that
  // finish leave the batch. Empty when nothing runs.
  std::vector<SequenceStep> step();
  // Drops a running sequence (a cancelled request); false when no such id runs.
  bool remove(int64_t id);
  // Sequences running.
  int64_t size() const;
  // A running sequence's ids so far (prompt and generated); empty for an unknown id.
  std::vector<int64_t> sequence(int64_t id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace transformers
