#pragma once
// torch.nn.functional.cross_entropy over class indices: input [N, C] logits (or [C]), target [N]
// integer class ids. Targets equal to ignore_index add nothing and are not counted; "mean" divides
// by the number of counted targets (0 of them gives NaN, as torch). A target outside [0, C) that is
// not ignore_index is a ValueError naming it. Built from recorded ops (log_softmax, gather, sum),
// so autograd differentiates it.
#include <cstdint>

#include "transformers/core/tensor.hpp"

namespace transformers::ops {

enum class Reduction : uint8_t { none, mean, sum };

struct CrossEntropyOptions {
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::mean;
};

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& opts = {});

}  // namespace transformers::ops
