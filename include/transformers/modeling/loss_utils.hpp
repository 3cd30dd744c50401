#pragma once
// The losses a model computes from `labels` (transformers/loss/loss_utils.py, 4.51): logits are
// taken in float32, labels equal to ignore_index (-100) are not counted, and the mean is over the
// counted tokens, or the sum divided by num_items_in_batch when that is given (gradient
// accumulation across batches, as Trainer passes it).
#include <cstdint>
#include <optional>

#include <string>

#include "transformers/core/tensor.hpp"
#include "transformers/modeling/configuration_utils.hpp"

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

// config.problem_type, inferred when unset as 4.51's classification heads do (num_labels 1:
// "regression"; integer labels: "single_label_classification"; else "multi_label_classification")
// and stored on the config, as Python sets the attribute.
std::string resolve_problem_type(PretrainedConfig& config, const Tensor& labels);

// The sequence-classification loss over pooled logits [B, num_labels] by problem_type (4.51's
// BertForSequenceClassification and loss_utils.ForSequenceClassificationLoss): regression: MSE
// (both squeezed when num_labels is 1); single-label: cross-entropy over integer labels [B] (-100
// ignored; num_items_in_batch as fixed_cross_entropy); multi-label: BCE-with-logits against
// float labels [B, num_labels]. Shapes that do not match are a ShapeError naming both.
Tensor ForSequenceClassificationLoss(const Tensor& labels, const Tensor& pooled_logits, PretrainedConfig& config,
                                     const LossOptions& options = {});

// Token classification (ForTokenClassification): logits [..., num_labels] against integer labels
// of the same leading shape, cross-entropy in float32, -100 ignored.
Tensor ForTokenClassification(const Tensor& logits, const Tensor& labels, int64_t num_labels,
                              const LossOptions& options = {});

}  // namespace transformers
