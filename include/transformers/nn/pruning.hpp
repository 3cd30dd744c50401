#pragma once
// Head pruning utilities of transformers.pytorch_utils (4.51): which rows/columns survive, and
// layers rebuilt from the surviving entries. Models call these from their prune_heads.
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "transformers/nn/linear.hpp"

namespace transformers::nn {

// find_pruneable_heads_and_indices(heads, n_heads, head_size, already_pruned): the heads still to
// prune (requested minus already pruned, each in [0, original head count)) and the int64 indices of
// the flattened [n_heads * head_size] positions that remain (ascending). n_heads is the current count.
std::pair<std::set<int64_t>, Tensor> find_pruneable_heads_and_indices(const std::vector<int64_t>& heads,
                                                                      int64_t n_heads, int64_t head_size,
                                                                      const std::set<int64_t>& already_pruned);

// prune_linear_layer(layer, index, dim): a new Linear keeping the entries of `index` along dim
// (0: output rows and bias entries; 1: input columns, bias kept). Like Python the new layer is
// float32 whatever the old dtype was.
std::shared_ptr<Linear> prune_linear_layer(const Linear& layer, const Tensor& index, int64_t dim = 0);
// prune_conv1d_layer(layer, index, dim): dim 1 keeps output columns (and bias entries), dim 0 keeps
// input rows (bias kept).
std::shared_ptr<Conv1D> prune_conv1d_layer(const Conv1D& layer, const Tensor& index, int64_t dim = 1);

}  // namespace transformers::nn
