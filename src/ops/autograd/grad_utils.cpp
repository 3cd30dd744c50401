// Shared pieces of the op backward formulas.
#include "ops/autograd/grad_utils.hpp"

#include "transformers/ops/reduce.hpp"

namespace transformers::ops::grad {

Tensor reduce_to(const Tensor& g, const Shape& shape) {
  if (g.sizes() == shape) return g;
  const int64_t lead = g.dim() - int64_t(shape.size());
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < lead; ++d) dims.push_back(d);
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] == 1 && g.size(lead + int64_t(i)) != 1) dims.push_back(lead + int64_t(i));
  const Tensor s = dims.empty() ? g : sum(g, dims, /*keepdim=*/true);
  return s.reshape(shape);
}

std::vector<bool> needs(std::initializer_list<const Tensor*> inputs) {
  std::vector<bool> out;
  for (const Tensor* t : inputs) out.push_back(t && t->defined() && t->requires_grad());
  return out;
}

Tensor f64(const Tensor& t) { return t.to(DType::Float64).contiguous(); }

}  // namespace transformers::ops::grad
