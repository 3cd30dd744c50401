#pragma once
// The scalar formula of every element-wise op, written once for any compute type C: the CPU
// backend's scalar loops use them with C = float / double / int64, the reference backend with
// C = double.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "ops/op_kinds.hpp"

namespace transformers::ops::detail {

using BinOp = BinaryOp;
using UnOp = UnaryOp;

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

}  // namespace transformers::ops::detail
