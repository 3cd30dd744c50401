// ForCausalLMLoss / ForMaskedLMLoss as loss_utils.py computes them (fixed_cross_entropy).
#include "transformers/modeling/loss_utils.hpp"

#include <string>
#include <vector>

#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/loss.hpp"

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

}  // namespace transformers
