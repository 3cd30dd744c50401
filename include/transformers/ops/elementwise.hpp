#pragma once
// Elementwise ops with NumPy/PyTorch broadcasting and PyTorch's type promotion: float16/bfloat16 with
// float32 -> float32, int with float -> float, a 0-dim tensor only decides the dtype when its category
// (bool < int < float) is higher. 16-bit floats are computed in float32 and rounded once on output.
#include <string_view>

#include "transformers/core/tensor.hpp"

namespace transformers::ops {

// The dtype torch.result_type would give for two tensors.
DType result_type(const Tensor& a, const Tensor& b);
// The dtype of `t <op> scalar` (a Python number): keeps t's dtype unless t is bool/int and the
// scalar is not integral (then float32), or t is bool (then int64 for integral scalars).
DType result_type(const Tensor& t, double scalar);

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);  // true division (ints -> float32)
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double b);
Tensor sub(const Tensor& a, double b);
Tensor mul(const Tensor& a, double b);
Tensor div(const Tensor& a, double b);
// scalar - t and scalar / t (torch.rsub / reciprocal-style forms).
Tensor rsub(const Tensor& t, double s);
Tensor rdiv(const Tensor& t, double s);


// Unary math: ints are promoted to float32 (like torch for exp/log/...); neg/abs/relu keep dtype.
Tensor neg(const Tensor& t);
Tensor exp(const Tensor& t);
Tensor log(const Tensor& t);
Tensor sqrt(const Tensor& t);
Tensor rsqrt(const Tensor& t);
Tensor abs(const Tensor& t);
Tensor tanh(const Tensor& t);
Tensor sigmoid(const Tensor& t);
Tensor relu(const Tensor& t);
Tensor silu(const Tensor& t);
// erf form by default; tanh_approx = HF "gelu_new" / "gelu_pytorch_tanh".
Tensor gelu(const Tensor& t, bool tanh_approx = false);
Tensor gelu_new(const Tensor& t);
Tensor gelu_fast(const Tensor& t);   // HF FastGELUActivation
Tensor quick_gelu(const Tensor& t);  // HF QuickGELUActivation: x * sigmoid(1.702 x)
Tensor pow(const Tensor& t, double exponent);
Tensor clamp(const Tensor& t, double lo, double hi);

// Comparisons return Bool tensors (computed in the promoted dtype).
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, double b);
Tensor ne(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);
Tensor le(const Tensor& a, double b);
Tensor gt(const Tensor& a, double b);
Tensor ge(const Tensor& a, double b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& a);

// cond is Bool (or any dtype: nonzero = true); a and b are promoted together.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// A copy of t with `value` where mask (broadcast to t's shape) is true.
Tensor masked_fill(const Tensor& t, const Tensor& mask, double value);

// HF ACT2FN by name: gelu, gelu_new, gelu_pytorch_tanh, relu, silu, swish, tanh, gelu_fast,
// quick_gelu, sigmoid. Throws UnsupportedError for others.
Tensor activation(const Tensor& t, std::string_view hf_name);

// In place: a += b (b broadcast to a's shape, converted to a's dtype). Returns a.
Tensor& add_(Tensor& a, const Tensor& b);
Tensor& mul_(Tensor& a, double b);

}  // namespace transformers::ops

namespace transformers {
// Operators live next to Tensor so argument-dependent lookup finds them without a using-directive;
// they call the ops above (same promotion and broadcasting).
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator-(const Tensor& a);
}  // namespace transformers
