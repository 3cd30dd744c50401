#pragma once
// Lookups, gathers, concatenation, ordering.
#include <cstdint>
#include <utility>
#include <vector>

#include "transformers/core/tensor.hpp"

namespace transformers::ops {

// weight [V, D], ids (int64/int32, any shape) -> [..., D]. An id outside [0, V) is a ValueError
// naming it (negative ids are not wrapped, like torch.nn.functional.embedding).
Tensor embedding(const Tensor& weight, const Tensor& ids);
// index (1-D int64/int32; negative values wrap like torch indexing does not: they are errors).
Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index);
// torch.gather: out[i][j][k] = t[index[i][j][k]][j][k] for dim 0, etc.; index has t's rank.
Tensor gather(const Tensor& t, int64_t dim, const Tensor& index);
// Inputs share dtype after promotion (torch.cat promotes); 1-D empty tensors are skipped like torch.
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim);
// (values, int64 indices). Ties: lower index first (deterministic; torch does not promise an order).
std::pair<Tensor, Tensor> topk(const Tensor& t, int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true);
// NaN sorts as the largest value, like torch.
std::pair<Tensor, Tensor> sort(const Tensor& t, int64_t dim = -1, bool descending = false, bool stable = true);
// Lower/upper triangle of the last two dims; the rest zeroed.
Tensor tril(const Tensor& t, int64_t diagonal = 0);
Tensor triu(const Tensor& t, int64_t diagonal = 0);

}  // namespace transformers::ops
