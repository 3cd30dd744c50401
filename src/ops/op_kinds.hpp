#pragma once
// The element-wise op kinds shared by the front end and every backend (the CPU vector math of
// ops/cpu/vec_math_impl.hpp switches on them too).
#include <cstdint>

#include "transformers/core/dtype.hpp"

namespace transformers::ops {

enum class BinaryOp : uint8_t { Add, Sub, Mul, Div, Max, Min, Eq, Ne, Lt, Le, Gt, Ge, And, Or };
enum class UnaryOp : uint8_t {
  Neg, Exp, Log, Sqrt, Rsqrt, Abs, Tanh, Sigmoid, Relu, Silu, GeluErf, GeluTanh, GeluFast, QuickGelu, Pow, Clamp, Not
};

inline bool is_compare(BinaryOp op) { return op >= BinaryOp::Eq; }
const char* op_name(BinaryOp op);
const char* op_name(UnaryOp op);

// Result and compute dtypes of an element-wise op, decided by the front end (PyTorch's promotion)
// so every backend produces the same dtype. `compute` is the CPU backend's opmath type; the
// reference backend computes in float64 whatever it says.
struct ElementwiseTypes {
  DType out;
  DType compute;
};

}  // namespace transformers::ops
