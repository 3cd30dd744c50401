#pragma once
// Rotary position embedding, Hugging Face Llama convention (rotate_half splits the head dim into
// halves, not interleaved pairs).
#include "transformers/core/tensor.hpp"

namespace transformers::ops {

// [x1, x2] -> [-x2, x1] over the last dim.
Tensor rotate_half(const Tensor& x);
// x [B,H,S,D]; cos/sin [B,S,D] (or [S,D]) unsqueezed at dim 1: x*cos + rotate_half(x)*sin.
// Output dtype follows PyTorch's promotion of x with cos/sin.
Tensor apply_rotary_pos_emb(const Tensor& x, const Tensor& cos, const Tensor& sin);

}  // namespace transformers::ops
