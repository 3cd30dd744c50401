// Backward of the element-wise ops (binary, binary_scalar, unary, where): torch's
// derivatives, results summed back over broadcast dimensions. The unary derivatives are evaluated
// in float64 from the saved input and result and rounded once to the gradient's dtype, except
// GELU's and SiLU's for float32 and bf16 (autocast): float32 vector code, as torch evaluates them.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "ops/autograd/grad_utils.hpp"
#include "ops/cpu/vec_math.hpp"
#include "ops/dispatch.hpp"
#include "transformers/ops/elementwise.hpp"

namespace transformers::ops {

using grad::Grads;
using grad::reduce_to;

namespace {
// d max(a, b)/da: 1 where a wins, 1/2 on ties (torch splits the gradient), 0 elsewhere.
Tensor winner_weight(BinaryOp op, const Tensor& a, const Tensor& b, DType dt) {
  const Tensor wins = op == BinaryOp::Max ? gt(a, b) : lt(a, b);
  return add(wins.to(dt), mul(eq(a, b).to(dt), 0.5));
}
}  // namespace

void record_binary(Tensor& out, BinaryOp op, const Tensor& a, const Tensor& b, ElementwiseTypes) {
  const Shape sa = a.sizes(), sb = b.sizes();
  switch (op) {
    case BinaryOp::Add:
      autograd::record("AddBackward0", out, {&a, &b},
                       [=](const Tensor& g) { return Grads{reduce_to(g, sa), reduce_to(g, sb)}; });
      return;
    case BinaryOp::Sub:
      autograd::record("SubBackward0", out, {&a, &b},
                       [=](const Tensor& g) { return Grads{reduce_to(g, sa), reduce_to(neg(g), sb)}; });
      return;
    case BinaryOp::Mul: {
      const auto need = grad::needs({&a, &b});
      autograd::record("MulBackward0", out, {&a, &b}, [=, a = a.detach(), b = b.detach()](const Tensor& g) {
        return Grads{need[0] ? reduce_to(mul(g, b), sa) : Tensor(), need[1] ? reduce_to(mul(g, a), sb) : Tensor()};
      });
      return;
    }
    case BinaryOp::Div: {
      const auto need = grad::needs({&a, &b});
      autograd::record("DivBackward0", out, {&a, &b}, [=, a = a.detach(), b = b.detach()](const Tensor& g) {
        const Tensor ga = div(g, b);
        return Grads{need[0] ? reduce_to(ga, sa) : Tensor(), need[1] ? reduce_to(neg(div(mul(ga, a), b)), sb) : Tensor()};
      });
      return;
    }
    case BinaryOp::Max:
    case BinaryOp::Min:
      autograd::record(op == BinaryOp::Max ? "MaximumBackward0" : "MinimumBackward0", out, {&a, &b},
                       [=, a = a.detach(), b = b.detach()](const Tensor& g) {
                         const Tensor w = winner_weight(op, a, b, g.dtype());
                         return Grads{reduce_to(mul(g, w), sa), reduce_to(mul(g, rsub(w, 1.0)), sb)};
                       });
      return;
    default:
      return;  // comparisons and logical ops give bool: nothing to differentiate
  }
}

void record_binary_scalar(Tensor& out, BinaryOp op, const Tensor& a, double s, bool scalar_first, ElementwiseTypes) {
  switch (op) {
    case BinaryOp::Add:
      autograd::record("AddBackward1", out, {&a}, [](const Tensor& g) { return Grads{g}; });
      return;
    case BinaryOp::Sub:
      autograd::record(scalar_first ? "RsubBackward1" : "SubBackward1", out, {&a},
                       [=](const Tensor& g) { return Grads{scalar_first ? neg(g) : g}; });
      return;
    case BinaryOp::Mul:
      autograd::record("MulBackward1", out, {&a}, [=](const Tensor& g) { return Grads{mul(g, s)}; });
      return;
    case BinaryOp::Div:
      if (scalar_first) {  // s / a: -s / a^2
        autograd::record("RdivBackward1", out, {&a}, [=, a = a.detach()](const Tensor& g) {
          return Grads{grad::pointwise(g, a, Tensor(), g.dtype(), [s](double x, double) { return -s / (x * x); })};
        });
      } else {
        autograd::record("DivBackward1", out, {&a}, [=](const Tensor& g) { return Grads{div(g, s)}; });
      }
      return;
    case BinaryOp::Max:
    case BinaryOp::Min:
      autograd::record(op == BinaryOp::Max ? "ClampMinBackward0" : "ClampMaxBackward0", out, {&a},
                       [=, a = a.detach()](const Tensor& g) {
        return Grads{grad::pointwise(g, a, Tensor(), g.dtype(), [=](double x, double) {
          return x == s ? 0.5 : ((op == BinaryOp::Max) == (x > s) ? 1.0 : 0.0);
        })};
      });
      return;
    default:
      return;
  }
}

namespace {
double sigmoid_d(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// d/dx of 0.5 x (1 + tanh(k (x + c x^3))), GPT-2's gelu_new (and gelu_fast, the same curve).
double gelu_tanh_d(double x) {
  const double k = std::sqrt(2.0 / std::numbers::pi), c = 0.044715;
  const double t = std::tanh(k * (x + c * x * x * x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3.0 * c * x * x);
}

// The derivative of each unary op from its input x and result y (p0, p1: pow's exponent, clamp's bounds).
double unary_d(UnaryOp op, double x, double y, double p0, double p1) {
  switch (op) {
    case UnaryOp::Neg: return -1.0;
    case UnaryOp::Exp: return y;
    case UnaryOp::Log: return 1.0 / x;
    case UnaryOp::Sqrt: return 0.5 / y;
    case UnaryOp::Rsqrt: return -0.5 * y * y * y;
    case UnaryOp::Abs: return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
    case UnaryOp::Tanh: return 1.0 - y * y;
    case UnaryOp::Sigmoid: return y * (1.0 - y);
    case UnaryOp::Relu: return x > 0 ? 1.0 : 0.0;
    case UnaryOp::Silu: {
      const double s = sigmoid_d(x);
      return s * (1.0 + x * (1.0 - s));
    }
    case UnaryOp::GeluErf:
      return 0.5 * (1.0 + std::erf(x / std::numbers::sqrt2)) + x * std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi);
    case UnaryOp::GeluTanh:
    case UnaryOp::GeluFast: return gelu_tanh_d(x);
    case UnaryOp::QuickGelu: {
      const double s = sigmoid_d(1.702 * x);
      return s + 1.702 * x * s * (1.0 - s);
    }
    case UnaryOp::Pow: return p0 == 0 ? 0.0 : p0 * std::pow(x, p0 - 1.0);
    case UnaryOp::Clamp: return x >= p0 && x <= p1 ? 1.0 : 0.0;
    case UnaryOp::Not: return 0.0;
  }
  return 0.0;
}

const char* unary_node_name(UnaryOp op) {
  static const char* names[] = {"NegBackward0",  "ExpBackward0",  "LogBackward0",     "SqrtBackward0",
                                "RsqrtBackward0", "AbsBackward0", "TanhBackward0",    "SigmoidBackward0",
                                "ReluBackward0", "SiluBackward0", "GeluBackward0",    "GeluBackward0",
                                "GeluFastBackward0", "QuickGeluBackward0", "PowBackward0", "ClampBackward1",
                                "NotBackward0"};
  return names[int(op)];
}

// float32 or bf16 gradient and input of one dtype (bf16: the activation after a bf16 product under
// autocast): the derivative by the float32 vector kernels, as torch evaluates these activations'
// backward in float32; bf16 is widened in blocks and the result rounded once to bf16. Undefined
// when the op, layout, dtype or level does not allow it (then the float64 formula runs).
Tensor unary_backward_vec(UnaryOp op, const Tensor& g, const Tensor& x) {
  const DType dt = g.dtype();
  if ((dt != DType::BFloat16 && dt != DType::Float32) || !x.defined() || x.dtype() != dt || g.sizes() != x.sizes() ||
      !g.is_contiguous() || !x.is_contiguous() || g.device() != Device::CPU)
    return Tensor();
  float probe_g = 0, probe_x = 0, probe_o = 0;
  if (!detail::vec_unary_backward(op, &probe_o, &probe_g, &probe_x, 1)) return Tensor();
  Tensor out = Tensor::empty(g.sizes(), dt, g.device());
  constexpr int64_t kBlock = 2048;
  const int64_t n = out.numel();
  parallel_for(0, (n + kBlock - 1) / kBlock, 4, [&](int64_t b0, int64_t b1) {
    if (dt == DType::Float32) {
      const int64_t i0 = b0 * kBlock, i1 = std::min(n, b1 * kBlock);
      detail::vec_unary_backward(op, out.data<float>() + i0, g.data<float>() + i0, x.data<float>() + i0, i1 - i0);
      return;
    }
    const auto* pg = static_cast<const uint16_t*>(g.data_ptr());
    const auto* px = static_cast<const uint16_t*>(x.data_ptr());
    auto* po = static_cast<uint16_t*>(out.data_ptr());
    float gb[kBlock], xb[kBlock];
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t i0 = b * kBlock, m = std::min(kBlock, n - i0);
      for (int64_t k = 0; k < m; ++k) {
        gb[k] = bf16_to_float(pg[i0 + k]);
        xb[k] = bf16_to_float(px[i0 + k]);
      }
      detail::vec_unary_backward(op, gb, gb, xb, m);
      for (int64_t k = 0; k < m; ++k) po[i0 + k] = float_to_bf16(gb[k]);
    }
  });
  return out;
}
}  // namespace

void record_unary(Tensor& out, UnaryOp op, const Tensor& a, double p0, double p1, DType) {
  if (op == UnaryOp::Not) return;
  // The derivative reads the input or the result; keeping only the one it reads.
  const bool reads_result = op == UnaryOp::Exp || op == UnaryOp::Sqrt || op == UnaryOp::Rsqrt ||
                            op == UnaryOp::Tanh || op == UnaryOp::Sigmoid;
  const Tensor x = reads_result ? Tensor() : a.detach();
  const Tensor y = reads_result ? out.detach() : Tensor();
  autograd::record(unary_node_name(op), out, {&a}, [=](const Tensor& g) {
    if (Tensor r = unary_backward_vec(op, g, x); r.defined()) return Grads{r};
    return Grads{grad::pointwise(g, x, y, g.dtype(), [=](double xi, double yi) { return unary_d(op, xi, yi, p0, p1); })};
  });
}

void record_where(Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  const Shape sa = a.sizes(), sb = b.sizes();
  const Tensor c = cond.detach();
  autograd::record("WhereBackward0", out, {nullptr, &a, &b}, [=](const Tensor& g) {
    const Tensor zero = Tensor::scalar(0.0, g.dtype());
    return Grads{Tensor(), reduce_to(where(c, g, zero), sa), reduce_to(where(c, zero, g), sb)};
  });
}

}  // namespace transformers::ops
