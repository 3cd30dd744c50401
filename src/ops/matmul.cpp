// Front end of the matrix products.
#include "transformers/ops/matmul.hpp"

#include "ops/dispatch.hpp"
#include "transformers/ops/bnb.hpp"
#include "transformers/ops/autocast.hpp"

namespace transformers::ops {

// Under autocast (autocast.hpp) each product first casts its floating operands to the autocast
// dtype, as torch's lower-precision list does.
Tensor matmul(const Tensor& a0, const Tensor& b0) {
  const Tensor a = autocast_lower(a0), b = autocast_lower(b0);
  const DType dt = key_dtype(a, "matmul", "input");
  detail::check_defined(b, "matmul", "other");
  return dispatch<OpId::matmul>(dispatch_device("matmul", {&a, &b}), dt, a, b);
}
Tensor bmm(const Tensor& a0, const Tensor& b0) {
  const Tensor a = autocast_lower(a0), b = autocast_lower(b0);
  const DType dt = key_dtype(a, "bmm", "input");
  detail::check_defined(b, "bmm", "other");
  return dispatch<OpId::bmm>(dispatch_device("bmm", {&a, &b}), dt, a, b);
}
namespace detail {
Tensor linear_bnb(const Tensor& x, const Tensor& weight, const BnbWeightState& st, const Tensor& bias);
}

Tensor linear(const Tensor& x0, const Tensor& weight0, const Tensor& bias0) {
  detail::check_defined(x0, "linear", "input");
  // bitsandbytes bytes (a quantization_config load) carry their statistics: dequantized per call,
  // outside autocast (a bitsandbytes model is not trained here)
  if (auto st = bnb_state(weight0)) return detail::linear_bnb(x0, weight0, *st, bias0);
  const Tensor x = autocast_lower(x0), weight = autocast_lower(weight0), bias = autocast_lower(bias0);
  const DType dt = key_dtype(weight, "linear", "weight");  // 16-bit weights pick their kernels
  return dispatch<OpId::linear>(dispatch_device("linear", {&x, &weight, &bias}), dt, x, weight, bias);
}
Tensor addmm_conv1d(const Tensor& x0, const Tensor& weight0, const Tensor& bias0) {
  const Tensor x = autocast_lower(x0), weight = autocast_lower(weight0), bias = autocast_lower(bias0);
  detail::check_defined(x, "addmm_conv1d", "input");
  const DType dt = key_dtype(weight, "addmm_conv1d", "weight");
  return dispatch<OpId::addmm_conv1d>(dispatch_device("addmm_conv1d", {&x, &weight, &bias}), dt, x, weight, bias);
}

}  // namespace transformers::ops
