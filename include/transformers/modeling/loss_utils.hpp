#pragma once
// The losses a model computes from `labels` (transformers/loss/loss_utils.py, 4.51): logits are
// taken in float32, labels equal to ignore_index (-100) are not counted, and the mean is over the
// counted tokens, or the sum divided by num_items_in_batch when that is given (gradient
// accumulation across batches, as Trainer passes it).
#include <cstdint>
#include <optional>

#include "transformers/core/tensor.hpp"

namespace transformers {

struct LossOptions {
  std::optional<int64_t> num_items_in_batch;
  int64_t ignore_index = -100;
};

// Causal LM: logits [B, S, V] predict the next token, so labels [B, S] are shifted left by one
// (the last position gets ignore_index) before the cross-entropy.
Tensor ForCausalLMLoss(const Tensor& logits, const Tensor& labels, int64_t vocab_size, const LossOptions& options = {});

// Masked LM: logits [..., V] against labels of the same leading shape, unshifted.
Tensor ForMaskedLMLoss(const Tensor& logits, const Tensor& labels, int64_t vocab_size, const LossOptions& options = {});

}  // namespace transformers
