// Reference element-wise kernels: both operands widened to float64 and broadcast, the shared
// scalar formula (ops/scalar_math.hpp) in float64, one rounding to the front end's output dtype.
#include <cmath>

#include "ops/reference/kernels.hpp"
#include "ops/scalar_math.hpp"

namespace transformers::ops::reference {

Tensor to_f64(const Tensor& t) {
  Tensor c = t.to(DType::Float64);
  return c.is_contiguous() ? c : c.contiguous();
}

Tensor empty_f64(const Shape& shape, Device device) { return Tensor::empty(shape, DType::Float64, device); }

namespace {
// The value a Python scalar takes in an op of dtype `dt` (torch converts it to the op's type).
double scalar_in(double s, DType dt) {
  return is_floating_point(dt) && dt != DType::Float64 ? Tensor::scalar(s, dt).item() : s;
}

Tensor apply_binary(BinaryOp op, const Tensor& a, const Tensor& b, DType out) {
  const Shape shape = broadcast_shapes(a.sizes(), b.sizes());
  const Tensor x = to_f64(a.expand(shape)), y = to_f64(b.expand(shape));
  Tensor r = empty_f64(shape);
  const double *px = x.data<double>(), *py = y.data<double>();
  double* pr = r.data<double>();
  const int64_t n = r.numel();
  if (is_compare(op)) {
    for (int64_t i = 0; i < n; ++i) pr[i] = detail::apply_cmp<double>(op, px[i], py[i]) ? 1.0 : 0.0;
  } else {
    for (int64_t i = 0; i < n; ++i) pr[i] = detail::apply_arith<double>(op, px[i], py[i]);
  }
  return r.to(out);
}
}  // namespace

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, ElementwiseTypes ty) { return apply_binary(op, a, b, ty.out); }

Tensor binary_scalar(BinaryOp op, const Tensor& a, double s, bool scalar_first, ElementwiseTypes ty) {
  const Tensor st = Tensor::scalar(scalar_in(s, is_compare(op) ? ty.compute : ty.out), DType::Float64);
  return scalar_first ? apply_binary(op, st, a, ty.out) : apply_binary(op, a, st, ty.out);
}

Tensor unary(UnaryOp op, const Tensor& a, double p0, double p1, DType out) {
  const Tensor x = to_f64(a);
  Tensor r = empty_f64(a.sizes());
  const double* px = x.data<double>();
  double* pr = r.data<double>();
  for (int64_t i = 0; i < r.numel(); ++i) pr[i] = detail::apply_unary<double>(op, px[i], p0, p1);
  return r.to(out);
}

Tensor& add_(Tensor& a, const Tensor& b) {
  a.copy_(apply_binary(BinaryOp::Add, a, b, a.dtype()));
  return a;
}

}  // namespace transformers::ops::reference
