// Front end of the normalisations.
#include "transformers/ops/norm.hpp"

#include "ops/dispatch.hpp"

namespace transformers::ops {

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  const DType dt = key_dtype(x, "layer_norm", "input");
  return dispatch<OpId::layer_norm>(dispatch_device("layer_norm", {&x, &weight, &bias}), dt, x, weight, bias, eps);
}
Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps) {
  const DType dt = key_dtype(x, "rms_norm", "input");
  return dispatch<OpId::rms_norm>(dispatch_device("rms_norm", {&x, &weight}), dt, x, weight, eps);
}

}  // namespace transformers::ops
