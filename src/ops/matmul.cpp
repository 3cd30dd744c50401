// Front end of the matrix products.
#include "transformers/ops/matmul.hpp"

#include "ops/dispatch.hpp"
#include "transformers/ops/bnb.hpp"

namespace transformers::ops {

Tensor matmul(const Tensor& a, const Tensor& b) {
  const DType dt = key_dtype(a, "matmul", "input");
  detail::check_defined(b, "matmul", "other");
  return dispatch<OpId::matmul>(dispatch_device("matmul", {&a, &b}), dt, a, b);
}
Tensor bmm(const Tensor& a, const Tensor& b) {
  const DType dt = key_dtype(a, "bmm", "input");
  detail::check_defined(b, "bmm", "other");
  return dispatch<OpId::bmm>(dispatch_device("bmm", {&a, &b}), dt, a, b);
}
namespace detail {
Tensor linear_bnb(const Tensor& x, const Tensor& weight, const BnbWeightState& st, const Tensor& bias);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  detail::check_defined(x, "linear", "input");
  // bitsandbytes bytes (a quantization_config load) carry their statistics: dequantized per call
  if (auto st = bnb_state(weight)) return detail::linear_bnb(x, weight, *st, bias);
  const DType dt = key_dtype(weight, "linear", "weight");  // 16-bit weights pick their kernels
  return dispatch<OpId::linear>(dispatch_device("linear", {&x, &weight, &bias}), dt, x, weight, bias);
}
Tensor addmm_conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  detail::check_defined(x, "addmm_conv1d", "input");
  const DType dt = key_dtype(weight, "addmm_conv1d", "weight");
  return dispatch<OpId::addmm_conv1d>(dispatch_device("addmm_conv1d", {&x, &weight, &bias}), dt, x, weight, bias);
}

}  // namespace transformers::ops
