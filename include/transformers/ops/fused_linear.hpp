#pragma once
// An encoder layer's Linear with the op after it done in the GEMM's write-back (issue 27's encoder
// fusions): BERT's intermediate `gelu(dense(h))` and its outputs' `dense(h) + input` (the residual
// add before the LayerNorm). The result equals the unfused ops: the same erf-GELU formula as
// ops::gelu and the same order of float additions as linear-then-add (docs/benchmarks.md,
// "Encoder fusions"); only fewer passes over the [tokens, features] activations.
//
// Fused on the CPU backend for float32 inputs, weight, bias and residual when no autograd graph is
// being recorded, autocast is off and the weight is a plain float32 one (no int8 copy, no
// bitsandbytes state); everything else runs the unfused ops, so callers need no conditions.
#include <string_view>

#include "transformers/core/tensor.hpp"

namespace transformers::ops {

struct FusedLinearOptions {
  // HF ACT2FN name applied to linear's result ("" none; "gelu" fuses, any other runs unfused).
  std::string_view activation;
  // Added after the activation (undefined: none); fused when its shape is the result's.
  Tensor residual;
};

// activation(linear(x, weight, bias)) + residual.
Tensor fused_linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const FusedLinearOptions& options);

}  // namespace transformers::ops
