// Elementwise ops: type promotion, broadcasting, and strided loops in the compute ("opmath") type.
#include <cmath>
#include <cstring>
#include <limits>

#include "ops/cpu/common.hpp"
#include "ops/cpu/kernels.hpp"
#include "ops/scalar_math.hpp"
#include "transformers/ops/elementwise.hpp"
#include "ops/cpu/half_ops.hpp"
#include "ops/cpu/vec_math.hpp"

namespace transformers::ops::cpu {

using detail::category;
using detail::opmath_dtype;

namespace {

void check_cpu(const Tensor& t, const char* op) {
  if (t.defined() && !is_host_device(t.device()))
    throw UnsupportedError(std::string(op) + ": only CPU tensors are supported, found " + device_name(t.device()));
}

using BinOp = BinaryOp;


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
    auto cmp = [op](C x, C y) -> uint8_t { return detail::apply_cmp<C>(op, x, y) ? 1 : 0; };
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
    default: run_binary_typed<C, C>(out, a, b, [op](C x, C y) { return detail::apply_arith<C>(op, x, y); }); return;
  }
}

// a and b converted to `compute`, broadcast to each other; out in `out_dtype` (bool for comparisons).
Tensor binary_impl(BinOp op, const Tensor& a, const Tensor& b, DType out_dtype, DType compute) {
  detail::check_defined(a, op_name(op), "input");
  detail::check_defined(b, op_name(op), "other");
  check_cpu(a, op_name(op));
  check_cpu(b, op_name(op));
  const Shape shape = broadcast_shapes(a.sizes(), b.sizes());
  const Tensor ac = a.to(compute).expand(shape);
  const Tensor bc = b.to(compute).expand(shape);
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
  return out.to(out_dtype);
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
  detail::strided_loop<3>(shape, {out.strides(), ae.strides(), be.strides()},
                          [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& st) {
                            if (st[0] == 1 && (st[1] == 0 || st[1] == 1) && (st[2] == 0 || st[2] == 1)) {
                              detail::half_binary(op, dt, pa + off[1], st[1], pb + off[2], st[2], po + off[0], n);
                              return;
                            }
                            for (int64_t i = 0; i < n; ++i)
                              detail::half_binary(op, dt, pa + off[1] + i * st[1], 0, pb + off[2] + i * st[2], 0,
                                                  po + off[0] + i * st[0], 1);
                          });
  return out;
}

}  // namespace

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, ElementwiseTypes ty) {
  if (a.dtype() == b.dtype() && is_half(a.dtype()) && op <= BinOp::Div) return binary_half(op, a, b);
  // bool arithmetic (add/mul/max/min of two bool tensors) runs in int64 and converts back
  if (!is_compare(op) && ty.out == DType::Bool) return binary_impl(op, a, b, DType::Int64, ty.compute).to(DType::Bool);
  return binary_impl(op, a, b, ty.out, ty.compute);
}

// tensor <op> scalar: the scalar stays in the compute type (e.g. bf16 * 0.1 multiplies by float(0.1)).
Tensor binary_scalar(BinaryOp op, const Tensor& a, double s, bool scalar_first, ElementwiseTypes ty) {
  const Tensor st = Tensor::scalar(s, ty.compute);
  return scalar_first ? binary_impl(op, st, a, ty.out, ty.compute) : binary_impl(op, a, st, ty.out, ty.compute);
}

namespace {

// ---------------- unary ----------------

using UnOp = UnaryOp;

template <typename C>
void run_unary(UnOp op, const Tensor& out, const Tensor& a, double p0, double p1) {
  C* po = static_cast<C*>(out.data_ptr());
  const C* pa = static_cast<const C*>(a.data_ptr());
  detail::strided_loop<2>(out.sizes(), {out.strides(), a.strides()},
                          [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& st) {
                            C* o = po + off[0];
                            const C* x = pa + off[1];
                            if constexpr (std::is_same_v<C, float>) {
                              if (st[0] == 1 && st[1] == 1 && detail::vec_unary(op, o, x, n)) return;
                            }
                            for (int64_t i = 0; i < n; ++i) o[i * st[0]] = detail::apply_unary<C>(op, x[i * st[1]], p0, p1);
                          }, 8192);
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
                              const bool vec = st[0] == 1 && st[1] == 1 && detail::vec_unary(op, y, x, c);
                              if (!vec)
                                for (int64_t j = 0; j < c; ++j) y[j] = detail::apply_unary<float>(op, x[j], p0, p1);
                              if (st[0] == 1) {
                                detail::float_to_half(y, dt, po + off[0] + i, c);
                              } else {
                                for (int64_t j = 0; j < c; ++j) detail::float_to_half(y + j, dt, po + off[0] + (i + j) * st[0], 1);
                              }
                            }
                          }, 8192);
  return out;
}

}  // namespace

Tensor unary(UnaryOp op, const Tensor& a, double p0, double p1, DType out_dtype) {
  check_cpu(a, op_name(op));
  if (is_half(a.dtype()) && op != UnOp::Not) return unary_half(op, a, p0, p1);
  DType c = opmath_dtype(out_dtype);
  Tensor x = a.to(c);
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
    default: throw UnsupportedError(std::string(op_name(op)) + ": unsupported dtype " + std::string(dtype_name(a.dtype())));
  }
  return out.to(out_dtype);
}

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

Tensor& add_(Tensor& a, const Tensor& b) {  // arguments checked by the front end
  if (a.dtype() == DType::Float32 && b.dtype() == DType::Float32 && a.is_contiguous()) {
    a.mutable_data_ptr();
    run_binary<float>(BinOp::Add, a, a, b.expand(a.sizes()));
    return a;
  }
  Tensor r = binary_impl(BinOp::Add, a, b, a.dtype(), opmath_dtype(a.dtype()));
  a.copy_(r);
  return a;
}

}  // namespace transformers::ops::cpu
