// Front end of the element-wise ops: argument checks, PyTorch's type promotion (the output and
// compute dtypes), then dispatch to the backend's binary / binary_scalar / unary kernel. Ops that
// are compositions of others (masked_fill, mul_, logical_not, activation) are written here once
// for every backend.
#include "transformers/ops/elementwise.hpp"

#include <cmath>

#include "ops/dispatch.hpp"
#include "ops/op_utils.hpp"

namespace transformers::ops {

using detail::category;
using detail::opmath_dtype;

const char* op_name(BinaryOp op) {
  static const char* names[] = {"add", "sub", "mul", "div", "maximum", "minimum", "eq",
                                "ne",  "lt",  "le",  "gt",  "ge",      "logical_and", "logical_or"};
  return names[int(op)];
}

const char* op_name(UnaryOp op) {
  static const char* names[] = {"neg", "exp", "log", "sqrt", "rsqrt", "abs", "tanh", "sigmoid", "relu",
                                "silu", "gelu", "gelu_new", "gelu_fast", "quick_gelu", "pow", "clamp", "logical_not"};
  return names[int(op)];
}

namespace {

int int_rank(DType d) {
  switch (d) {
    case DType::Bool: return 0;
    case DType::UInt8: return 1;
    case DType::Int8: return 1;
    case DType::Int16: return 2;
    case DType::Int32: return 3;
    case DType::Int64: return 4;
    default: return -1;
  }
}

// torch.promote_types for two dtypes (no 0-dim rule).
DType promote_types(DType a, DType b) {
  if (a == b) return a;
  const bool fa = is_floating_point(a), fb = is_floating_point(b);
  if (fa && fb) {
    if (a == DType::Float64 || b == DType::Float64) return DType::Float64;
    if (a == DType::Float32 || b == DType::Float32) return DType::Float32;
    if ((a == DType::Float16 && b == DType::BFloat16) || (a == DType::BFloat16 && b == DType::Float16))
      return DType::Float32;
    // float8 with a 16-bit float: the 16-bit one
    if (a == DType::Float16 || a == DType::BFloat16) return a;
    if (b == DType::Float16 || b == DType::BFloat16) return b;
    return DType::Float32;
  }
  if (fa) return a;
  if (fb) return b;
  if (a == DType::Bool) return b;
  if (b == DType::Bool) return a;
  // uint8 with int8 -> int16 (torch)
  if ((a == DType::UInt8 && b == DType::Int8) || (a == DType::Int8 && b == DType::UInt8)) return DType::Int16;
  return int_rank(a) >= int_rank(b) ? a : b;
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  detail::check_defined(a, op_name(op), "input");
  detail::check_defined(b, op_name(op), "other");
  DType rt = result_type(a, b);
  ElementwiseTypes ty{DType::Bool, opmath_dtype(rt)};  // comparisons and logical and/or
  if (!is_compare(op)) {
    if (op == BinaryOp::Div && !is_floating_point(rt)) rt = DType::Float32;  // true division
    if (op == BinaryOp::Sub && rt == DType::Bool)
      throw UnsupportedError("sub: subtraction of two bool tensors is not supported (use logical_xor)");
    ty = {rt, opmath_dtype(rt)};
  }
  return dispatch<OpId::binary>(dispatch_device(op_name(op), {&a, &b}), a.dtype(), op, a, b, ty);
}

Tensor binary_scalar(BinaryOp op, const Tensor& a, double s, bool scalar_first = false) {
  detail::check_defined(a, op_name(op), "input");
  ElementwiseTypes ty;
  if (is_compare(op)) {
    // compare in the wider of the two: ints vs non-integral scalar compare in double
    DType c = is_floating_point(a.dtype()) ? opmath_dtype(a.dtype()) : (std::floor(s) == s ? DType::Int64 : DType::Float64);
    if (a.dtype() == DType::Float32 || a.dtype() == DType::Float16 || a.dtype() == DType::BFloat16) c = DType::Float32;
    ty = {DType::Bool, c};
  } else {
    DType rt = result_type(a, s);
    if (op == BinaryOp::Div && !is_floating_point(rt)) rt = DType::Float32;
    ty = {rt == DType::Bool ? DType::Int64 : rt, opmath_dtype(rt)};
  }
  return dispatch<OpId::binary_scalar>(dispatch_device(op_name(op), {&a}), a.dtype(), op, a, s, scalar_first, ty);
}

Tensor unary(UnaryOp op, const Tensor& a, double p0 = 0, double p1 = 0) {
  detail::check_defined(a, op_name(op), "input");
  const DType in = a.dtype();
  const bool keeps_int = op == UnaryOp::Neg || op == UnaryOp::Abs || op == UnaryOp::Relu || op == UnaryOp::Clamp ||
                         (op == UnaryOp::Pow && std::floor(p0) == p0 && p0 >= 0);
  if (in == DType::Bool && op == UnaryOp::Neg)
    throw UnsupportedError("neg: negation of a bool tensor is not supported (use logical_not)");
  DType out = in;
  if (!is_floating_point(in) && !keeps_int) out = DType::Float32;
  if (!is_floating_point(in) && op == UnaryOp::Clamp && (std::floor(p0) != p0 || std::floor(p1) != p1))
    out = DType::Float32;
  return dispatch<OpId::unary>(dispatch_device(op_name(op), {&a}), in, op, a, p0, p1, out);
}

}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  const bool za = a.dim() == 0, zb = b.dim() == 0;
  if (za != zb) {
    // A 0-dim tensor only decides when its category is higher (torch's rule).
    const Tensor& dimmed = za ? b : a;
    const Tensor& zero = za ? a : b;
    if (category(zero.dtype()) > category(dimmed.dtype())) return zero.dtype();
    return dimmed.dtype();
  }
  return promote_types(a.dtype(), b.dtype());
}

DType result_type(const Tensor& t, double s) {
  const DType d = t.dtype();
  if (is_floating_point(d)) return d;
  const bool integral = std::isfinite(s) && std::floor(s) == s;
  if (!integral) return DType::Float32;
  if (d == DType::Bool) return DType::Int64;
  return d;
}

Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Div, a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Max, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Min, a, b); }
Tensor add(const Tensor& a, double b) { return binary_scalar(BinaryOp::Add, a, b); }
Tensor sub(const Tensor& a, double b) { return binary_scalar(BinaryOp::Sub, a, b); }
Tensor mul(const Tensor& a, double b) { return binary_scalar(BinaryOp::Mul, a, b); }
Tensor div(const Tensor& a, double b) { return binary_scalar(BinaryOp::Div, a, b); }
Tensor rsub(const Tensor& t, double s) { return binary_scalar(BinaryOp::Sub, t, s, true); }
Tensor rdiv(const Tensor& t, double s) { return binary_scalar(BinaryOp::Div, t, s, true); }

Tensor neg(const Tensor& t) { return unary(UnaryOp::Neg, t); }
Tensor exp(const Tensor& t) { return unary(UnaryOp::Exp, t); }
Tensor log(const Tensor& t) { return unary(UnaryOp::Log, t); }
Tensor sqrt(const Tensor& t) { return unary(UnaryOp::Sqrt, t); }
Tensor rsqrt(const Tensor& t) { return unary(UnaryOp::Rsqrt, t); }
Tensor abs(const Tensor& t) {
  if (t.defined() && t.dtype() == DType::Bool) return t.clone();
  return unary(UnaryOp::Abs, t);
}
Tensor tanh(const Tensor& t) { return unary(UnaryOp::Tanh, t); }
Tensor sigmoid(const Tensor& t) { return unary(UnaryOp::Sigmoid, t); }
Tensor relu(const Tensor& t) {
  if (t.defined() && t.dtype() == DType::Bool) throw UnsupportedError("relu: not implemented for bool tensors");
  return unary(UnaryOp::Relu, t);
}
Tensor silu(const Tensor& t) { return unary(UnaryOp::Silu, t); }
Tensor gelu(const Tensor& t, bool tanh_approx) { return unary(tanh_approx ? UnaryOp::GeluTanh : UnaryOp::GeluErf, t); }
Tensor gelu_new(const Tensor& t) { return unary(UnaryOp::GeluTanh, t); }
Tensor gelu_fast(const Tensor& t) { return unary(UnaryOp::GeluFast, t); }
Tensor quick_gelu(const Tensor& t) { return unary(UnaryOp::QuickGelu, t); }
Tensor pow(const Tensor& t, double e) { return unary(UnaryOp::Pow, t, e); }
Tensor clamp(const Tensor& t, double lo, double hi) {
  if (lo > hi) throw ValueError("clamp: min " + std::to_string(lo) + " is greater than max " + std::to_string(hi));
  return unary(UnaryOp::Clamp, t, lo, hi);
}

Tensor eq(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Ne, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Ge, a, b); }
Tensor eq(const Tensor& a, double b) { return binary_scalar(BinaryOp::Eq, a, b); }
Tensor ne(const Tensor& a, double b) { return binary_scalar(BinaryOp::Ne, a, b); }
Tensor lt(const Tensor& a, double b) { return binary_scalar(BinaryOp::Lt, a, b); }
Tensor le(const Tensor& a, double b) { return binary_scalar(BinaryOp::Le, a, b); }
Tensor gt(const Tensor& a, double b) { return binary_scalar(BinaryOp::Gt, a, b); }
Tensor ge(const Tensor& a, double b) { return binary_scalar(BinaryOp::Ge, a, b); }
Tensor logical_and(const Tensor& a, const Tensor& b) { return binary(BinaryOp::And, a, b); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Or, a, b); }
Tensor logical_not(const Tensor& a) { return eq(a.to(DType::Bool), 0.0); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  const DType dt = a.defined() ? a.dtype() : DType::Float32;
  return dispatch<OpId::where>(dispatch_device("where", {&cond, &a, &b}), dt, cond, a, b);
}

Tensor masked_fill(const Tensor& t, const Tensor& mask, double value) {
  detail::check_defined(t, "masked_fill", "input");
  detail::check_defined(mask, "masked_fill", "mask");
  if (mask.dtype() != DType::Bool)
    throw ValueError("masked_fill: expected a bool mask, found " + std::string(dtype_name(mask.dtype())));
  if (broadcast_shapes(t.sizes(), mask.sizes()) != t.sizes())
    throw ShapeError("masked_fill: mask of shape " + shape_str(mask.sizes()) + " does not broadcast to input shape " +
                     shape_str(t.sizes()));
  return where(mask, Tensor::scalar(value, t.dtype()), t).to(t.dtype());
}

Tensor activation(const Tensor& t, std::string_view name) {
  if (name == "gelu") return gelu(t, false);
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return gelu(t, true);
  if (name == "relu") return relu(t);
  if (name == "silu" || name == "swish") return silu(t);
  if (name == "tanh") return tanh(t);
  if (name == "gelu_fast") return gelu_fast(t);
  if (name == "quick_gelu") return quick_gelu(t);
  if (name == "sigmoid") return sigmoid(t);
  if (name == "linear") return t;
  throw UnsupportedError("activation: unknown hidden_act '" + std::string(name) +
                         "'; supported: gelu, gelu_new, gelu_pytorch_tanh, relu, silu, swish, tanh, gelu_fast, "
                         "quick_gelu, sigmoid, linear");
}

Tensor& add_(Tensor& a, const Tensor& b) {
  detail::check_defined(a, "add_", "self");
  detail::check_defined(b, "add_", "other");
  if (broadcast_shapes(a.sizes(), b.sizes()) != a.sizes())
    throw ShapeError("add_: other of shape " + shape_str(b.sizes()) + " does not broadcast to self " +
                     shape_str(a.sizes()));
  const DType rt = result_type(a, b);
  if (category(rt) > category(a.dtype()))
    throw ValueError("add_: result type " + std::string(dtype_name(rt)) + " can't be cast to self's dtype " +
                     std::string(dtype_name(a.dtype())));
  return dispatch<OpId::add_>(dispatch_device("add_", {&a, &b}), a.dtype(), a, b);
}

Tensor& mul_(Tensor& a, double b) {
  Tensor r = mul(a, b);
  a.copy_(r.to(a.dtype()));
  return a;
}

}  // namespace transformers::ops

namespace transformers {

Tensor operator+(const Tensor& a, const Tensor& b) { return ops::add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return ops::sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return ops::mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return ops::div(a, b); }
Tensor operator+(const Tensor& a, double b) { return ops::add(a, b); }
Tensor operator-(const Tensor& a, double b) { return ops::sub(a, b); }
Tensor operator*(const Tensor& a, const double b) { return ops::mul(a, b); }
Tensor operator/(const Tensor& a, double b) { return ops::div(a, b); }
Tensor operator+(double a, const Tensor& b) { return ops::add(b, a); }
Tensor operator-(double a, const Tensor& b) { return ops::rsub(b, a); }
Tensor operator*(double a, const Tensor& b) { return ops::mul(b, a); }
Tensor operator/(double a, const Tensor& b) { return ops::rdiv(b, a); }
Tensor operator-(const Tensor& a) { return ops::neg(a); }

}  // namespace transformers
