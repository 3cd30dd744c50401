#pragma once
// Shared pieces of the op backward formulas (src/ops/autograd/*.cpp). Every backward runs under
// the engine's no-grad scope, so the ops it calls record nothing.
#include <cstdint>
#include <type_traits>
#include <vector>

#include "transformers/core/autograd.hpp"
#include "transformers/core/parallel.hpp"
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
// may be undefined when f does not read it), returned in `dtype`. Float32 / float64 / bfloat16
// operands of the result's dtype are read in place and the loop is split over the pool (a GELU
// backward of GPT-2's MLP is 1.5 M elements per layer, bf16 under autocast); each element is still
// widened, evaluated in float64 and rounded once (bf16: through float, as Tensor::to rounds).
template <typename F>
Tensor pointwise(const Tensor& g, const Tensor& x, const Tensor& y, DType dtype, F f) {
  const auto direct = [&](const Tensor& t) {
    return !t.defined() || (t.is_contiguous() && t.dtype() == g.dtype() && t.sizes() == g.sizes());
  };
  if ((dtype == DType::Float32 || dtype == DType::Float64 || dtype == DType::BFloat16) && g.dtype() == dtype &&
      direct(g) && direct(x) && direct(y)) {
    Tensor out = Tensor::empty(g.sizes(), dtype, g.device());
    const auto run = [&](auto* po) {
      using T = std::remove_pointer_t<decltype(po)>;
      constexpr bool b16 = std::is_same_v<T, uint16_t>;
      const auto load = [](T v) {
        if constexpr (b16) return double(bf16_to_float(v));
        else return double(v);
      };
      const T* pg = static_cast<const T*>(g.data_ptr());
      const T* px = x.defined() ? static_cast<const T*>(x.data_ptr()) : nullptr;
      const T* py = y.defined() ? static_cast<const T*>(y.data_ptr()) : nullptr;
      parallel_for(0, out.numel(), 1 << 14, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) {
          const double r = load(pg[i]) * f(px ? load(px[i]) : 0.0, py ? load(py[i]) : 0.0);
          if constexpr (b16) po[i] = float_to_bf16(float(r));
          else po[i] = T(r);
        }
      });
    };
    if (dtype == DType::Float32) run(out.data<float>());
    else if (dtype == DType::Float64) run(out.data<double>());
    else run(static_cast<uint16_t*>(out.data_ptr()));
    return out;
  }
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
