#pragma once
// torch.autocast("cpu", dtype=bfloat16) for mixed-precision training (Trainer's --bf16 on CPU):
// while an AutocastGuard is alive on a thread, the ops of autocast's CPU lower-precision list that
// we have (matmul, bmm, linear, GPT-2's Conv1D addmm, scaled_dot_product_attention) cast their
// floating inputs to the autocast dtype first (recorded casts, so float32 master weights get float32
// gradients) and give results in it; the ops of its float32 list we have (cross_entropy, nll_loss)
// upcast lower-precision inputs to float32. Every other op runs in its inputs' dtype, as in torch.
#include <optional>

#include "transformers/core/tensor.hpp"

namespace transformers::ops {

// The autocast dtype of this thread (nullopt: autocast off).
std::optional<DType> autocast_dtype();

class AutocastGuard {
 public:
  // dtype: BFloat16 or Float16 (nullopt: autocast off inside the guard).
  explicit AutocastGuard(std::optional<DType> dtype);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  std::optional<DType> previous_;
};

// t cast to the autocast dtype when autocast is on and t is a floating tensor of another dtype
// (float64 stays, as torch's autocast leaves it); else t.
Tensor autocast_lower(const Tensor& t);
// t cast to float32 when autocast is on and t is a 16-bit float; else t.
Tensor autocast_float32(const Tensor& t);

}  // namespace transformers::ops
