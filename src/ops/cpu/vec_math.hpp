#pragma once
// Vectorised float32 loops for the current kernel level (vec_math_impl.hpp): transcendental
// element-wise ops and softmax rows. Each returns false when no vector kernel covers the call, so
// the caller runs its scalar loop (always at the scalar level).
#include <cstdint>

#include "ops/cpu/isa_kernels.hpp"

namespace transformers::ops::detail {

inline bool vec_unary(UnaryOp op, float* out, const float* x, int64_t n) {
  const auto fn = current_isa_kernels().unary_f32;
  return fn != nullptr && fn(op, out, x, n);
}

// out = g * d op(x) / dx for the activations with a vector derivative (GELU's three forms, SiLU).
inline bool vec_unary_backward(UnaryOp op, float* out, const float* g, const float* x, int64_t n) {
  const auto fn = current_isa_kernels().unary_backward_f32;
  return fn != nullptr && fn(op, out, g, x, n);
}

inline bool softmax_row_f32(float* out, const float* x, int64_t n, bool log) {
  const auto fn = current_isa_kernels().softmax_row_f32;
  return fn != nullptr && fn(out, x, n, log);
}

}  // namespace transformers::ops::detail
