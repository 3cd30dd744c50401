#pragma once
// Shared pieces of the op backward formulas (src/ops/autograd/*.cpp). Every backward runs under
// the engine's no-grad scope, so the ops it calls record nothing.
#include <cstdint>
#include <vector>

#include "transformers/core/autograd.hpp"
#include "transformers/core/tensor.hpp"

namespace transformers::ops::grad {

using Grads = std::vector<Tensor>;

// Sums a gradient of a broadcast result back to an input's shape (torch's sum_to_size).
Tensor reduce_to(const Tensor& g, const Shape& shape);

// Whether each input (in record order) gets a gradient, so a backward skips the others' work.
std::vector<bool> needs(std::initializer_list<const Tensor*> inputs);

// Contiguous float64 copy (the element-wise backward loops read their operands through it).
Tensor f64(const Tensor& t);

// g * f(x, y) element-wise in float64 for same-shape g, x, y (x: the input, y: the result; either
// may be undefined when f does not read it), returned in `dtype`.
template <typename F>
Tensor pointwise(const Tensor& g, const Tensor& x, const Tensor& y, DType dtype, F f) {
  const Tensor gd = f64(g), xd = x.defined() ? f64(x) : Tensor(), yd = y.defined() ? f64(y) : Tensor();
  Tensor out = autograd::zeros_on(g.device(), g.sizes(), DType::Float64);
  const double* pg = gd.data<double>();
  const double* px = xd.defined() ? xd.data<double>() : nullptr;
  const double* py = yd.defined() ? yd.data<double>() : nullptr;
  double* po = out.data<double>();
  const int64_t n = out.numel();
  for (int64_t i = 0; i < n; ++i) po[i] = pg[i] * f(px ? px[i] : 0.0, py ? py[i] : 0.0);
  return out.to(dtype);
}

}  // namespace transformers::ops::grad
