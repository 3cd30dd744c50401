// Dropout as a composition: a keep mask scaled by 1 / (1 - p), multiplied in (recorded by mul).
#include "transformers/ops/dropout.hpp"

#include <string>

#include "ops/op_utils.hpp"
#include "transformers/ops/elementwise.hpp"

namespace transformers::ops {

Tensor dropout(const Tensor& input, double p, bool training, Generator& gen) {
  detail::check_defined(input, "dropout", "input");
  if (!(p >= 0.0 && p <= 1.0))
    throw ValueError("dropout probability has to be between 0 and 1, but got " + std::to_string(p));
  if (!training || p == 0.0) return input;
  detail::check_float_dtype(input, "dropout");
  if (p == 1.0) return mul(input, 0.0);
  const double scale = 1.0 / (1.0 - p);
  Tensor mask = Tensor::empty(input.sizes(), input.dtype(), input.device());
  // One draw per element in logical order; the mask is built in float64 and rounded once.
  Tensor m64 = Tensor::empty(input.sizes(), DType::Float64, input.device());
  double* pm = m64.data<double>();
  for (int64_t i = 0, n = m64.numel(); i < n; ++i) pm[i] = gen.uniform() < p ? 0.0 : scale;
  mask.copy_(m64);
  return mul(input, mask);
}

Tensor dropout(const Tensor& input, double p, bool training) {
  return dropout(input, p, training, default_generator());
}

}  // namespace transformers::ops
