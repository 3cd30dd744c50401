#pragma once
// Gemma 2's soft-capping: x -> tanh(x / cap) * cap, for attention scores and final logits.
#include "transformers/core/tensor.hpp"

namespace transformers::nn {

// (x / cap) in x's dtype, tanh rounded once from float64, times cap in x's dtype: the steps torch
// takes. The float64 tanh matters: x / cap is small, where the vectorised float32 tanh is only
// accurate to ~1e-7 absolute, i.e. ~1e-5 relative -- enough to move softmaxed scores by 1e-5.
Tensor soft_cap(const Tensor& x, double cap);

}  // namespace transformers::nn
