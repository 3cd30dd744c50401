#pragma once
// The dtype conversion from_pretrained applies to checkpoint tensors (torch_dtype != stored dtype).
#include "transformers/core/tensor.hpp"

namespace transformers::detail {

// t.to(dtype), bit-identical to it, for a tensor just read from a checkpoint: contiguous float32 <->
// bfloat16/float16 go through the vector conversions split over the thread pool; the rest use
// Tensor::to. Loading a float32 GPT-2 as bfloat16 converts 124 M values: one scalar serial pass
// was ~120 ms of CPU on top of the page faults of the 249 MB written.
Tensor cast_for_load(const Tensor& t, DType dtype);

}  // namespace transformers::detail
