#include "transformers/nn/soft_cap.hpp"

#include "transformers/ops/elementwise.hpp"

namespace transformers::nn {

Tensor soft_cap(const Tensor& x, double cap) {
  const Tensor scaled = ops::div(x, cap);
  return ops::mul(ops::tanh(scaled.to(DType::Float64)).to(x.dtype()), cap);
}

}  // namespace transformers::nn
