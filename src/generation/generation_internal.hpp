#pragma once
// Pieces shared by the search loops in src/generation (not public API).
#include <memory>
#include <vector>

#include "transformers/generation/utils.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/nn/kv_cache.hpp"

namespace transformers::generation_detail {

// Runs the model one step at a time over rows whose ids grow by one token per step, feeding only
// the tokens the cache has not seen. Masks and position_ids follow Python's
// prepare_inputs_for_generation: position_ids = cumsum(mask) - 1, 1 where mask == 0.
// Tokens past the prompt whose KV-cache rows a DecoderStepper preallocates at most (docs/reliability.md).
inline constexpr int64_t kCachePreallocHeadroom = 4096;

class DecoderStepper {
 public:
  DecoderStepper(PreTrainedModel& model, std::vector<std::vector<int64_t>> attention_mask, bool use_cache,
                 int64_t max_cache_len);
  // Last-position logits of every row as float32 [rows * vocab]; sets `vocab`.
  std::vector<float> next_logits(const TokenRows& rows, int64_t& vocab);
  // After a token was appended to every row: the mask gains a 1 (Python's
  // _update_model_kwargs_for_generation).
  void extend_mask();
  // Beam search: rows follow `beam_idx` (cache and masks).
  void reorder(const std::vector<int64_t>& beam_idx);
  std::shared_ptr<Cache> cache() const { return cache_; }

 private:
  PreTrainedModel& model_;
  std::vector<std::vector<int64_t>> mask_;
  bool use_cache_;
  std::shared_ptr<Cache> cache_;
};

// _sample's token choice for `b` rows of processed scores: multinomial over their softmax (one draw
// per row from `gen`, in row order) or torch.argmax. `probs` is scratch space.
void choose_next_tokens(const float* scores, int64_t b, int64_t vocab, bool do_sample, ops::Generator& gen,
                        std::vector<float>& probs, std::vector<int64_t>& next);

GenerateOutput sample_or_greedy(PreTrainedModel& model, TokenRows rows, std::vector<std::vector<int64_t>> mask,
                                const ResolvedGenerationConfig& config, const LogitsProcessorList& processors,
                                const StoppingCriteriaList& criteria, const GenerationOptions& options);
GenerateOutput beam_search(PreTrainedModel& model, TokenRows rows, std::vector<std::vector<int64_t>> mask,
                           const ResolvedGenerationConfig& config, const LogitsProcessorList& processors,
                           const StoppingCriteriaList& criteria, const GenerationOptions& options);

Tensor rows_to_tensor(const TokenRows& rows);

}  // namespace transformers::generation_detail
