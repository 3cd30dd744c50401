#pragma once
// Reductions over dims (negative dims allowed). 16-bit floats accumulate in float32 (float64 for
// float64); integer and bool sums give int64 like torch.
#include <cstdint>
#include <utility>
#include <vector>

#include "transformers/core/tensor.hpp"

namespace transformers::ops {

Tensor sum(const Tensor& t, std::vector<int64_t> dims = {}, bool keepdim = false);  // empty dims = all
Tensor mean(const Tensor& t, std::vector<int64_t> dims = {}, bool keepdim = false);  // floating only
// (values, int64 indices); the first maximum like torch; NaN counts as the maximum.
std::pair<Tensor, Tensor> max(const Tensor& t, int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> min(const Tensor& t, int64_t dim, bool keepdim = false);
Tensor amax(const Tensor& t, int64_t dim, bool keepdim = false);
Tensor amin(const Tensor& t, int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& t, int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& t, int64_t dim, bool keepdim = false);
// Variance with Bessel-style `correction` (1 = unbiased like torch.var's default).
Tensor var(const Tensor& t, std::vector<int64_t> dims, int64_t correction = 1, bool keepdim = false);
// Inclusive prefix sum along dim; ints/bool give int64, floats keep dtype.
Tensor cumsum(const Tensor& t, int64_t dim);

}  // namespace transformers::ops
