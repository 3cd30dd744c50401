#pragma once
// Vectorised float32 transcendental loops (exp, tanh, sigmoid, silu, gelu) for the current kernel
// level. Returns false when no vector kernel covers the op, so the caller runs its scalar loop.
#include <cstdint>

namespace transformers::ops::detail {

// op codes follow elementwise.cpp's UnOp order.
bool vec_unary(int op, float* out, const float* x, int64_t n);

}  // namespace transformers::ops::detail
