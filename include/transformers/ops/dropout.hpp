#pragma once
// torch.nn.functional.dropout: in training each element is kept with probability 1 - p and scaled
// by 1 / (1 - p), else zeroed; outside training (or p == 0) the input is returned as it is. The
// mask comes from our generator (seeded runs repeat; torch's stream is not reproduced). The
// product with the mask is a recorded op, so the backward scales the gradient by the same mask.
#include "transformers/core/tensor.hpp"
#include "transformers/ops/random.hpp"

namespace transformers::ops {

Tensor dropout(const Tensor& input, double p, bool training, Generator& gen);
Tensor dropout(const Tensor& input, double p, bool training);  // the default generator

}  // namespace transformers::ops
