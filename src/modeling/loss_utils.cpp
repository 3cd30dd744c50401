// The losses from labels as 4.51 computes them: ForCausalLMLoss / ForMaskedLMLoss (loss_utils.py,
// fixed_cross_entropy) and the classification heads' (regression / single-label / multi-label,
// token classification), built from recorded ops so the backward comes with them.
#include "transformers/modeling/loss_utils.hpp"

#include <string>
#include <vector>

#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/loss.hpp"
#include "transformers/ops/reduce.hpp"

namespace transformers {

namespace {
// fixed_cross_entropy: "sum" / num_items_in_batch when given, else "mean".
Tensor fixed_cross_entropy(const Tensor& logits, const Tensor& labels, const LossOptions& o) {
  if (o.num_items_in_batch && *o.num_items_in_batch <= 0)
    throw ValueError("loss: num_items_in_batch must be positive, found " + std::to_string(*o.num_items_in_batch));
  const ops::Reduction r = o.num_items_in_batch ? ops::Reduction::sum : ops::Reduction::mean;
  Tensor loss = ops::cross_entropy(logits, labels, {.ignore_index = o.ignore_index, .reduction = r});
  if (o.num_items_in_batch) loss = ops::div(loss, double(*o.num_items_in_batch));
  return loss;
}

void check_labels(const Tensor& logits, const Tensor& labels, int64_t vocab_size, const char* loss) {
  if (!logits.defined() || !labels.defined())
    throw ValueError(std::string(loss) + ": logits and labels must be defined");
  if (logits.dim() < 1 || logits.size(-1) != vocab_size)
    throw ShapeError(std::string(loss) + ": logits of shape " + shape_str(logits.sizes()) +
                     " do not end in the vocabulary size " + std::to_string(vocab_size));
  const Shape lead(logits.sizes().begin(), logits.sizes().end() - 1);
  if (labels.sizes() != lead)
    throw ShapeError(std::string(loss) + ": labels of shape " + shape_str(labels.sizes()) + " do not match logits " +
                     shape_str(logits.sizes()) + " (expected labels " + shape_str(lead) + ")");
}
}  // namespace

Tensor ForCausalLMLoss(const Tensor& logits, const Tensor& labels, int64_t vocab_size, const LossOptions& o) {
  check_labels(logits, labels, vocab_size, "ForCausalLMLoss");
  // labels = pad(labels, (0, 1), value=ignore_index)[..., 1:]
  const int64_t s = labels.size(-1);
  const std::vector<int64_t> v = labels.to_vector<int64_t>();
  std::vector<int64_t> shifted(v.size(), o.ignore_index);
  for (size_t i = 0; i < v.size(); ++i)
    if (int64_t(i % size_t(s)) + 1 < s) shifted[i] = v[i + 1];
  const Tensor flat = logits.to(DType::Float32).reshape({-1, vocab_size});
  return fixed_cross_entropy(flat, Tensor::from_vector(shifted, {int64_t(shifted.size())}), o);
}

Tensor ForMaskedLMLoss(const Tensor& logits, const Tensor& labels, int64_t vocab_size, const LossOptions& o) {
  check_labels(logits, labels, vocab_size, "ForMaskedLMLoss");
  const Tensor flat = logits.to(DType::Float32).reshape({-1, vocab_size});
  return fixed_cross_entropy(flat, labels.to(DType::Int64).reshape({-1}), o);
}

namespace {
// The classification heads' helpers.
bool integer_labels(const Tensor& labels) { return labels.dtype() == DType::Int64 || labels.dtype() == DType::Int32; }

void same_shape(const Tensor& logits, const Tensor& labels, const std::string& what) {
  if (logits.sizes() != labels.sizes())
    throw ShapeError(what + ": labels of shape " + shape_str(labels.sizes()) + " do not match logits of shape " +
                     shape_str(logits.sizes()));
}

// torch.nn.MSELoss (mean).
Tensor mse_loss(const Tensor& input, const Tensor& target) {
  return ops::mean(ops::pow(ops::sub(input, target), 2.0));
}

// torch.nn.BCEWithLogitsLoss (mean): (1 - y) x + log(1 + exp(-x)), the log term written with
// m = max(-x, 0) as log(exp(-m) + exp(-x - m)) + m so no exp overflows (its gradient in m is 0).
Tensor bce_with_logits(const Tensor& x, const Tensor& y) {
  const Tensor m = ops::relu(ops::neg(x));
  const Tensor log_term = ops::add(ops::log(ops::add(ops::exp(ops::neg(m)), ops::exp(ops::sub(ops::neg(x), m)))), m);
  return ops::mean(ops::add(ops::mul(ops::rsub(y, 1.0), x), log_term));
}

}  // namespace

std::string resolve_problem_type(PretrainedConfig& config, const Tensor& labels) {
  json& pt = config.raw()["problem_type"];
  if (pt.is_null()) {
    const int64_t n = config.num_labels();
    pt = n == 1                               ? "regression"
         : n > 1 && integer_labels(labels)    ? "single_label_classification"
                                              : "multi_label_classification";
  }
  return pt.get<std::string>();
}

Tensor ForSequenceClassificationLoss(const Tensor& labels, const Tensor& pooled_logits, PretrainedConfig& config,
                                     const LossOptions& o) {
  const std::string what = "ForSequenceClassificationLoss";
  if (!labels.defined() || !pooled_logits.defined()) throw ValueError(what + ": logits and labels must be defined");
  const int64_t n = config.num_labels();
  const std::string problem = resolve_problem_type(config, labels);
  const Tensor logits = pooled_logits.to(DType::Float32);
  if (problem == "regression") {
    const Tensor x = n == 1 ? logits.squeeze() : logits;
    const Tensor y = (n == 1 ? labels.squeeze() : labels).to(DType::Float32);
    same_shape(x, y, what + " (regression)");
    return mse_loss(x, y);
  }
  if (problem == "single_label_classification") {
    if (!integer_labels(labels))
      throw UnsupportedError(what + ": single_label_classification takes integer class labels, found " +
                             std::string(dtype_name(labels.dtype())) + " labels (class probabilities are not supported)");
    const Tensor flat = logits.reshape({-1, n});
    if (labels.numel() != flat.size(0))
      throw ShapeError(what + ": labels of shape " + shape_str(labels.sizes()) + " do not match logits of shape " +
                       shape_str(pooled_logits.sizes()) + " (one label per row expected)");
    return fixed_cross_entropy(flat, labels.to(DType::Int64).reshape({-1}), o);
  }
  // multi_label_classification (the config refuses any other problem_type when it is read)
  same_shape(logits, labels, what + " (multi_label_classification)");
  return bce_with_logits(logits, labels.to(DType::Float32));
}

Tensor ForTokenClassification(const Tensor& logits, const Tensor& labels, int64_t num_labels, const LossOptions& o) {
  const std::string what = "ForTokenClassification";
  if (!labels.defined() || !logits.defined()) throw ValueError(what + ": logits and labels must be defined");
  if (!integer_labels(labels))
    throw UnsupportedError(what + ": labels must be integer class ids, found " + std::string(dtype_name(labels.dtype())));
  if (logits.dim() < 1 || logits.size(-1) != num_labels)
    throw ShapeError(what + ": logits of shape " + shape_str(logits.sizes()) + " do not end in num_labels " +
                     std::to_string(num_labels));
  const Shape lead(logits.sizes().begin(), logits.sizes().end() - 1);
  if (labels.sizes() != lead)
    throw ShapeError(what + ": labels of shape " + shape_str(labels.sizes()) + " do not match logits " +
                     shape_str(logits.sizes()) + " (expected labels " + shape_str(lead) + ")");
  return fixed_cross_entropy(logits.to(DType::Float32).reshape({-1, num_labels}), labels.to(DType::Int64).reshape({-1}), o);
}

}  // namespace transformers
