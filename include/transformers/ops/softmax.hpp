#pragma once
// Numerically stable softmax / log_softmax (max subtracted). 16-bit inputs are computed in float32;
// the output has the input dtype unless `dtype` is given (torch's dtype= argument: the input is cast
// to it first).
#include <cstdint>
#include <optional>

#include "transformers/core/tensor.hpp"

namespace transformers::ops {

Tensor softmax(const Tensor& t, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor log_softmax(const Tensor& t, int64_t dim, std::optional<DType> dtype = std::nullopt);

}  // namespace transformers::ops
