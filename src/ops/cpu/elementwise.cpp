// Elementwise ops: type promotion, broadcasting, and strided loops in the compute ("opmath") type.
#include "transformers/ops/elementwise.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include "ops/cpu/common.hpp"
#include "ops/cpu/half_ops.hpp"
#include "ops/cpu/vec_math.hpp"

namespace transformers::ops {

using detail::category;
using detail::opmath_dtype;

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

void check_cpu(const Tensor& t, const char* op) {
  if (t.defined() && t.device() != Device::CPU)
    throw UnsupportedError(std::string(op) + ": only CPU tensors are supported, found " + device_name(t.device()));
}

enum class BinOp { Add, Sub, Mul, Div, Max, Min, Eq, Ne, Lt, Le, Gt, Ge, And, Or };

bool is_compare(BinOp op) { return op >= BinOp::Eq; }

template <typename C>
inline C apply_arith(BinOp op, C x, C y) {
  switch (op) {
    case BinOp::Add: return x + y;
    case BinOp::Sub: return x - y;
    case BinOp::Mul: return x * y;
    case BinOp::Div: return x / y;
    case BinOp::Max:
      if constexpr (std::is_floating_point_v<C>) { if (std::isnan(x) || std::isnan(y)) return x + y; }
      return x > y ? x : y;
    case BinOp::Min:
      if constexpr (std::is_floating_point_v<C>) { if (std::isnan(x) || std::isnan(y)) return x + y; }
      return x < y ? x : y;
    default: return C(0);
  }
}

template <typename C>
inline bool apply_cmp(BinOp op, C x, C y) {
  switch (op) {
    case BinOp::Eq: return x == y;
    case BinOp::Ne: return x != y;
    case BinOp::Lt: return x < y;
    case BinOp::Le: return x <= y;
    case BinOp::Gt: return x > y;
    case BinOp::Ge: return x >= y;
    case BinOp::And: return x != C(0) && y != C(0);
    case BinOp::Or: return x != C(0) || y != C(0);
    default: return false;
  }
}

// Inner loop specialised on the op so the compiler can vectorise the contiguous cases.
template <typename C, typename R, typename F>
void run_binary_typed(const Tensor& out, const Tensor& a, const Tensor& b, F f) {
  R* po = static_cast<R*>(out.data_ptr());
  const C* pa = static_cast<const C*>(a.data_ptr());
  const C* pb = static_cast<const C*>(b.data_ptr());
  detail::strided_loop<3>(out.sizes(), {out.strides(), a.strides(), b.strides()},
                          [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& st) {
                            R* o = po + off[0];
                            const C* x = pa + off[1];
                            const C* y = pb + off[2];
                            if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
                              for (int64_t i = 0; i < n; ++i) o[i] = R(f(x[i], y[i]));
                            } else if (st[0] == 1 && st[1] == 1 && st[2] == 0) {
                              const C yv = *y;
                              for (int64_t i = 0; i < n; ++i) o[i] = R(f(x[i], yv));
                            } else if (st[0] == 1 && st[1] == 0 && st[2] == 1) {
                              const C xv = *x;
                              for (int64_t i = 0; i < n; ++i) o[i] = R(f(xv, y[i]));
                            } else {
                              for (int64_t i = 0; i < n; ++i) o[i * st[0]] = R(f(x[i * st[1]], y[i * st[2]]));
                            }
                          });
}

template <typename C>
void run_binary(BinOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  if (is_compare(op)) {
    auto cmp = [op](C x, C y) -> uint8_t { return apply_cmp<C>(op, x, y) ? 1 : 0; };
    switch (op) {
      case BinOp::Eq: run_binary_typed<C, uint8_t>(out, a, b, [](C x, C y) -> uint8_t { return x == y; }); return;
      case BinOp::Lt: run_binary_typed<C, uint8_t>(out, a, b, [](C x, C y) -> uint8_t { return x < y; }); return;
      case BinOp::Gt: run_binary_typed<C, uint8_t>(out, a, b, [](C x, C y) -> uint8_t { return x > y; }); return;
      default: run_binary_typed<C, uint8_t>(out, a, b, cmp); return;
    }
  }
  switch (op) {
    case BinOp::Add: run_binary_typed<C, C>(out, a, b, [](C x, C y) { return x + y; }); return;
    case BinOp::Sub: run_binary_typed<C, C>(out, a, b, [](C x, C y) { return x - y; }); return;
    case BinOp::Mul: run_binary_typed<C, C>(out, a, b, [](C x, C y) { return x * y; }); return;
    case BinOp::Div: run_binary_typed<C, C>(out, a, b, [](C x, C y) { return x / y; }); return;
    default: run_binary_typed<C, C>(out, a, b, [op](C x, C y) { return apply_arith<C>(op, x, y); }); return;
  }
}

const char* op_name(BinOp op) {
  static const char* names[] = {"add", "sub", "mul", "div", "maximum", "minimum", "eq",
                                "ne",  "lt",  "le",  "gt",  "ge",      "logical_and", "logical_or"};
  return names[int(op)];
}

// a and b converted to `compute`, broadcast to each other; out in `out_dtype` (bool for comparisons).
Tensor binary_impl(BinOp op, const Tensor& a, const Tensor& b, DType out_dtype, DType compute) {
  detail::check_defined(a, op_name(op), "input");
  detail::check_defined(b, op_name(op), "other");
  check_cpu(a, op_name(op));
  check_cpu(b, op_name(op));
  const Shape shape = broadcast_shapes(a.sizes(), b.sizes());
  const Tensor ac = detail::cast(a, compute).expand(shape);
  const Tensor bc = detail::cast(b, compute).expand(shape);
  const bool cmp = is_compare(op);
  const DType direct = cmp ? DType::Bool : compute;
  Tensor out = Tensor::empty(shape, direct);
  if (op == BinOp::Div && compute == DType::Int64)
    throw UnsupportedError("div: integer division is computed in float; internal dtype error");
  switch (compute) {
    case DType::Float32: run_binary<float>(op, out, ac, bc); break;
    case DType::Float64: run_binary<double>(op, out, ac, bc); break;
    case DType::Int64: run_binary<int64_t>(op, out, ac, bc); break;
    default: throw UnsupportedError(std::string(op_name(op)) + ": unsupported compute dtype");
  }
  return detail::cast(out, out_dtype);
}

bool is_half(DType d) { return d == DType::BFloat16 || d == DType::Float16; }

// Two tensors of one 16-bit float dtype, arithmetic op: computed per chunk in float32 and rounded
// once, the same bits as casting both to float32, computing and casting back, without the three
// float32 temporaries (decode-step adds and multiplies are a few thousand elements each).
Tensor binary_half(BinOp op, const Tensor& a, const Tensor& b) {
  check_cpu(a, op_name(op));
  check_cpu(b, op_name(op));
  const DType dt = a.dtype();
  const Shape shape = broadcast_shapes(a.sizes(), b.sizes());
  const Tensor ae = a.expand(shape), be = b.expand(shape);
  Tensor out = Tensor::empty(shape, dt);
  uint16_t* po = static_cast<uint16_t*>(out.data_ptr());
  const uint16_t* pa = static_cast<const uint16_t*>(ae.data_ptr());
  const uint16_t* pb = static_cast<const uint16_t*>(be.data_ptr());
  const int code = op == BinOp::Add ? 0 : op == BinOp::Sub ? 1 : op == BinOp::Mul ? 2 : 3;
  detail::strided_loop<3>(shape, {out.strides(), ae.strides(), be.strides()},
                          [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& st) {
                            if (st[0] == 1 && (st[1] == 0 || st[1] == 1) && (st[2] == 0 || st[2] == 1)) {
                              detail::half_binary(code, dt, pa + off[1], st[1], pb + off[2], st[2], po + off[0], n);
                              return;
                            }
                            for (int64_t i = 0; i < n; ++i)
                              detail::half_binary(code, dt, pa + off[1] + i * st[1], 0, pb + off[2] + i * st[2], 0,
                                                  po + off[0] + i * st[0], 1);
                          });
  return out;
}

Tensor binary(BinOp op, const Tensor& a, const Tensor& b) {
  detail::check_defined(a, op_name(op), "input");
  detail::check_defined(b, op_name(op), "other");
  if (a.dtype() == b.dtype() && is_half(a.dtype()) && op <= BinOp::Div) return binary_half(op, a, b);
  DType rt = result_type(a, b);
  if (op == BinOp::And || op == BinOp::Or) return binary_impl(op, a, b, DType::Bool, opmath_dtype(rt));
  if (is_compare(op)) return binary_impl(op, a, b, DType::Bool, opmath_dtype(rt));
  if (op == BinOp::Div && !is_floating_point(rt)) rt = DType::Float32;
  if (op == BinOp::Sub && rt == DType::Bool)
    throw UnsupportedError("sub: subtraction of two bool tensors is not supported (use logical_xor)");
  const DType out = rt;
  Tensor r = binary_impl(op, a, b, rt == DType::Bool ? DType::Int64 : out, opmath_dtype(rt));
  return rt == DType::Bool ? r.to(DType::Bool) : r;
}

// tensor <op> scalar: the scalar stays in the compute type (e.g. bf16 * 0.1 multiplies by float(0.1)).
Tensor binary_scalar(BinOp op, const Tensor& a, double s, bool scalar_first = false) {
  detail::check_defined(a, op_name(op), "input");
  DType rt = result_type(a, s);
  if (is_compare(op)) {
    // compare in the wider of the two: ints vs non-integral scalar compare in double
    DType c = (is_floating_point(a.dtype()) ? opmath_dtype(a.dtype()) : (std::floor(s) == s ? DType::Int64 : DType::Float64));
    if (a.dtype() == DType::Float32 || a.dtype() == DType::Float16 || a.dtype() == DType::BFloat16) c = DType::Float32;
    const Tensor st = Tensor::scalar(s, c);
    return scalar_first ? binary_impl(op, st, a, DType::Bool, c) : binary_impl(op, a, st, DType::Bool, c);
  }
  if (op == BinOp::Div && !is_floating_point(rt)) rt = DType::Float32;
  const DType c = opmath_dtype(rt);
  const Tensor st = Tensor::scalar(s, c);
  const DType out = rt == DType::Bool ? DType::Int64 : rt;
  return scalar_first ? binary_impl(op, st, a, out, c) : binary_impl(op, a, st, out, c);
}

// ---------------- unary ----------------

enum class UnOp { Neg, Exp, Log, Sqrt, Rsqrt, Abs, Tanh, Sigmoid, Relu, Silu, GeluErf, GeluTanh, GeluFast, QuickGelu, Pow, Clamp, Not };

template <typename C>
inline C apply_unary(UnOp op, C x, double p0, double p1) {
  constexpr C kSqrt1_2 = C(0.70710678118654752440);
  constexpr C kSqrt2OverPi = C(0.79788456080286535588);
  switch (op) {
    case UnOp::Neg: return -x;
    case UnOp::Exp: return std::exp(x);
    case UnOp::Log: return std::log(x);
    case UnOp::Sqrt: return std::sqrt(x);
    case UnOp::Rsqrt: return C(1) / std::sqrt(x);
    case UnOp::Abs: return std::abs(x);
    case UnOp::Tanh: return std::tanh(x);
    case UnOp::Sigmoid: return C(1) / (C(1) + std::exp(-x));
    case UnOp::Relu: return std::isnan(x) ? x : (x > C(0) ? x : C(0));
    case UnOp::Silu: return x / (C(1) + std::exp(-x));
    case UnOp::GeluErf: return C(0.5) * x * (C(1) + std::erf(x * kSqrt1_2));
    case UnOp::GeluTanh: return C(0.5) * x * (C(1) + std::tanh(kSqrt2OverPi * (x + C(0.044715) * x * x * x)));
    case UnOp::GeluFast: return C(0.5) * x * (C(1) + std::tanh(x * C(0.7978845608) * (C(1) + C(0.044715) * x * x)));
    case UnOp::QuickGelu: return x * (C(1) / (C(1) + std::exp(C(-1.702) * x)));
    case UnOp::Pow: return std::pow(x, C(p0));
    case UnOp::Clamp: return std::isnan(x) ? x : std::min(std::max(x, C(p0)), C(p1));
    default: return x;
  }
}

template <typename C>
void run_unary(UnOp op, const Tensor& out, const Tensor& a, double p0, double p1) {
  C* po = static_cast<C*>(out.data_ptr());
  const C* pa = static_cast<const C*>(a.data_ptr());
  detail::strided_loop<2>(out.sizes(), {out.strides(), a.strides()},
                          [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& st) {
                            C* o = po + off[0];
                            const C* x = pa + off[1];
                            if constexpr (std::is_same_v<C, float>) {
                              if (st[0] == 1 && st[1] == 1 && detail::vec_unary(int(op), o, x, n)) return;
                            }
                            for (int64_t i = 0; i < n; ++i) o[i * st[0]] = apply_unary<C>(op, x[i * st[1]], p0, p1);
                          }, 8192);
}

const char* un_name(UnOp op) {
  static const char* names[] = {"neg", "exp", "log", "sqrt", "rsqrt", "abs", "tanh", "sigmoid", "relu",
                                "silu", "gelu", "gelu_new", "gelu_fast", "quick_gelu", "pow", "clamp", "logical_not"};
  return names[int(op)];
}

// Float16/bfloat16 input, float op: per chunk through float32 (vector math where run_unary would
// use it), rounded once; the same bits as run_unary on a float32 copy, without the copies.
Tensor unary_half(UnOp op, const Tensor& a, double p0, double p1) {
  const DType dt = a.dtype();
  Tensor out = Tensor::empty(a.sizes(), dt);
  uint16_t* po = static_cast<uint16_t*>(out.data_ptr());
  const uint16_t* pa = static_cast<const uint16_t*>(a.data_ptr());
  detail::strided_loop<2>(out.sizes(), {out.strides(), a.strides()},
                          [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& st) {
                            float x[detail::kHalfChunk], y[detail::kHalfChunk];
                            for (int64_t i = 0; i < n; i += detail::kHalfChunk) {
                              const int64_t c = std::min(detail::kHalfChunk, n - i);
                              if (st[1] == 1) {
                                detail::half_to_float(pa + off[1] + i, dt, x, c);
                              } else {
                                for (int64_t j = 0; j < c; ++j) detail::half_to_float(pa + off[1] + (i + j) * st[1], dt, x + j, 1);
                              }
                              // run_unary's rule: vector math for contiguous runs, else the scalar formula
                              const bool vec = st[0] == 1 && st[1] == 1 && detail::vec_unary(int(op), y, x, c);
                              if (!vec)
                                for (int64_t j = 0; j < c; ++j) y[j] = apply_unary<float>(op, x[j], p0, p1);
                              if (st[0] == 1) {
                                detail::float_to_half(y, dt, po + off[0] + i, c);
                              } else {
                                for (int64_t j = 0; j < c; ++j) detail::float_to_half(y + j, dt, po + off[0] + (i + j) * st[0], 1);
                              }
                            }
                          }, 8192);
  return out;
}

Tensor unary(UnOp op, const Tensor& a, double p0 = 0, double p1 = 0) {
  detail::check_defined(a, un_name(op), "input");
  check_cpu(a, un_name(op));
  const DType in = a.dtype();
  if (is_half(in) && op != UnOp::Not) return unary_half(op, a, p0, p1);
  const bool keeps_int = op == UnOp::Neg || op == UnOp::Abs || op == UnOp::Relu || op == UnOp::Clamp ||
                         (op == UnOp::Pow && std::floor(p0) == p0 && p0 >= 0);
  if (in == DType::Bool && (op == UnOp::Neg))
    throw UnsupportedError("neg: negation of a bool tensor is not supported (use logical_not)");
  DType out_dtype = in;
  if (!is_floating_point(in) && !keeps_int) out_dtype = DType::Float32;
  if (!is_floating_point(in) && op == UnOp::Clamp && (std::floor(p0) != p0 || std::floor(p1) != p1))
    out_dtype = DType::Float32;
  DType c = opmath_dtype(out_dtype);
  Tensor x = detail::cast(a, c);
  Tensor out = Tensor::empty(a.sizes(), c);
  switch (c) {
    case DType::Float32: run_unary<float>(op, out, x, p0, p1); break;
    case DType::Float64: run_unary<double>(op, out, x, p0, p1); break;
    case DType::Int64: {
      // integer neg/abs/relu/clamp/pow: exact in int64
      const int64_t* px = nullptr;
      Tensor xc = x.contiguous();
      px = static_cast<const int64_t*>(xc.data_ptr());
      int64_t* po = static_cast<int64_t*>(out.data_ptr());
      const int64_t lo = p0 < -9.2e18 ? std::numeric_limits<int64_t>::min() : int64_t(p0);
      const int64_t hi = p1 > 9.2e18 ? std::numeric_limits<int64_t>::max() : int64_t(p1);
      for (int64_t i = 0; i < out.numel(); ++i) {
        const int64_t v = px[i];
        switch (op) {
          case UnOp::Neg: po[i] = -v; break;
          case UnOp::Abs: po[i] = v < 0 ? -v : v; break;
          case UnOp::Relu: po[i] = v > 0 ? v : 0; break;
          case UnOp::Clamp: po[i] = std::min(std::max(v, lo), hi); break;
          case UnOp::Pow: {
            int64_t r = 1;
            for (int64_t k = 0; k < int64_t(p0); ++k) r *= v;
            po[i] = r;
            break;
          }
          default: po[i] = v;
        }
      }
      break;
    }
    default: throw UnsupportedError(std::string(un_name(op)) + ": unsupported dtype " + std::string(dtype_name(in)));
  }
  return detail::cast(out, out_dtype);
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

Tensor add(const Tensor& a, const Tensor& b) { return binary(BinOp::Add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinOp::Sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinOp::Mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(BinOp::Div, a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary(BinOp::Max, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary(BinOp::Min, a, b); }
Tensor add(const Tensor& a, double b) { return binary_scalar(BinOp::Add, a, b); }
Tensor sub(const Tensor& a, double b) { return binary_scalar(BinOp::Sub, a, b); }
Tensor mul(const Tensor& a, double b) { return binary_scalar(BinOp::Mul, a, b); }
Tensor div(const Tensor& a, double b) { return binary_scalar(BinOp::Div, a, b); }


Tensor rsub(const Tensor& t, double s) { return binary_scalar(BinOp::Sub, t, s, true); }
Tensor rdiv(const Tensor& t, double s) { return binary_scalar(BinOp::Div, t, s, true); }

Tensor neg(const Tensor& t) { return unary(UnOp::Neg, t); }
Tensor exp(const Tensor& t) { return unary(UnOp::Exp, t); }
Tensor log(const Tensor& t) { return unary(UnOp::Log, t); }
Tensor sqrt(const Tensor& t) { return unary(UnOp::Sqrt, t); }
Tensor rsqrt(const Tensor& t) { return unary(UnOp::Rsqrt, t); }
Tensor abs(const Tensor& t) {
  if (t.dtype() == DType::Bool) return t.clone();
  return unary(UnOp::Abs, t);
}
Tensor tanh(const Tensor& t) { return unary(UnOp::Tanh, t); }
Tensor sigmoid(const Tensor& t) { return unary(UnOp::Sigmoid, t); }
Tensor relu(const Tensor& t) {
  if (t.dtype() == DType::Bool) throw UnsupportedError("relu: not implemented for bool tensors");
  return unary(UnOp::Relu, t);
}
Tensor silu(const Tensor& t) { return unary(UnOp::Silu, t); }
Tensor gelu(const Tensor& t, bool tanh_approx) { return unary(tanh_approx ? UnOp::GeluTanh : UnOp::GeluErf, t); }
Tensor gelu_new(const Tensor& t) { return unary(UnOp::GeluTanh, t); }
Tensor gelu_fast(const Tensor& t) { return unary(UnOp::GeluFast, t); }
Tensor quick_gelu(const Tensor& t) { return unary(UnOp::QuickGelu, t); }
Tensor pow(const Tensor& t, double e) { return unary(UnOp::Pow, t, e); }
Tensor clamp(const Tensor& t, double lo, double hi) {
  if (lo > hi) throw ValueError("clamp: min " + std::to_string(lo) + " is greater than max " + std::to_string(hi));
  return unary(UnOp::Clamp, t, lo, hi);
}

Tensor eq(const Tensor& a, const Tensor& b) { return binary(BinOp::Eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return binary(BinOp::Ne, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return binary(BinOp::Lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return binary(BinOp::Le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary(BinOp::Gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary(BinOp::Ge, a, b); }
Tensor eq(const Tensor& a, double b) { return binary_scalar(BinOp::Eq, a, b); }
Tensor ne(const Tensor& a, double b) { return binary_scalar(BinOp::Ne, a, b); }
Tensor lt(const Tensor& a, double b) { return binary_scalar(BinOp::Lt, a, b); }
Tensor le(const Tensor& a, double b) { return binary_scalar(BinOp::Le, a, b); }
Tensor gt(const Tensor& a, double b) { return binary_scalar(BinOp::Gt, a, b); }
Tensor ge(const Tensor& a, double b) { return binary_scalar(BinOp::Ge, a, b); }
Tensor logical_and(const Tensor& a, const Tensor& b) { return binary(BinOp::And, a, b); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return binary(BinOp::Or, a, b); }
Tensor logical_not(const Tensor& a) { return eq(a.to(DType::Bool), 0.0); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  detail::check_defined(cond, "where", "condition");
  detail::check_defined(a, "where", "input");
  detail::check_defined(b, "where", "other");
  const Shape shape = broadcast_shapes(cond.sizes(), broadcast_shapes(a.sizes(), b.sizes()));
  const DType rt = result_type(a, b);
  const Tensor c = cond.to(DType::Bool).expand(shape);
  const Tensor ac = a.to(rt).expand(shape);
  const Tensor bc = b.to(rt).expand(shape);
  Tensor out = Tensor::empty(shape, rt);
  const size_t es = dtype_size(rt);
  const uint8_t* pc = static_cast<const uint8_t*>(c.data_ptr());
  const char* pa = static_cast<const char*>(ac.data_ptr());
  const char* pb = static_cast<const char*>(bc.data_ptr());
  char* po = static_cast<char*>(out.data_ptr());
  detail::strided_loop<4>(shape, {out.strides(), c.strides(), ac.strides(), bc.strides()},
                          [&](const std::array<int64_t, 4>& off, int64_t n, const std::array<int64_t, 4>& st) {
                            for (int64_t i = 0; i < n; ++i) {
                              const bool take_a = pc[off[1] + i * st[1]] != 0;
                              const char* src = take_a ? pa + (off[2] + i * st[2]) * int64_t(es)
                                                       : pb + (off[3] + i * st[3]) * int64_t(es);
                              std::memcpy(po + (off[0] + i * st[0]) * int64_t(es), src, es);
                            }
                          });
  return out;
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
  if (a.dtype() == DType::Float32 && b.dtype() == DType::Float32 && a.is_contiguous()) {
    a.mutable_data_ptr();
    run_binary<float>(BinOp::Add, a, a, b.expand(a.sizes()));
    return a;
  }
  Tensor r = binary_impl(BinOp::Add, a, b, a.dtype(), opmath_dtype(a.dtype()));
  a.copy_(r);
  return a;
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
Tensor operator*(const Tensor& a, double b) { return ops::mul(a, b); }
Tensor operator/(const Tensor& a, double b) { return ops::div(a, b); }
Tensor operator+(double a, const Tensor& b) { return ops::add(b, a); }
Tensor operator-(double a, const Tensor& b) { return ops::rsub(b, a); }
Tensor operator*(double a, const Tensor& b) { return ops::mul(b, a); }
Tensor operator/(double a, const Tensor& b) { return ops::rdiv(b, a); }
Tensor operator-(const Tensor& a) { return ops::neg(a); }

}  // namespace transformers
