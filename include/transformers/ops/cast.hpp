#pragma once
// Dtype conversion through the backend's vector kernels: the same bits as Tensor::to, split over
// the thread pool for large tensors.
#include "transformers/core/tensor.hpp"

namespace transformers::ops {

struct CastOptions {
  // The destination is fresh memory written once (a checkpoint converted while loading): populate
  // its pages block by block just before writing them instead of one page fault per 4 KiB.
  bool prefault = false;
};

// t itself when it already has `dtype`, else a converted copy.
Tensor cast(const Tensor& t, DType dtype, const CastOptions& opts = {});

}  // namespace transformers::ops
