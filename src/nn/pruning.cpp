#include "transformers/nn/pruning.hpp"

#include "transformers/ops/indexing.hpp"

namespace transformers::nn {

std::pair<std::set<int64_t>, Tensor> find_pruneable_heads_and_indices(const std::vector<int64_t>& heads,
                                                                      int64_t n_heads, int64_t head_size,
                                                                      const std::set<int64_t>& already_pruned) {
  std::set<int64_t> todo;
  for (int64_t h : heads)
    if (!already_pruned.count(h)) todo.insert(h);
  std::vector<char> keep(size_t(n_heads * head_size), 1);
  for (int64_t h : todo) {
    // Shift the original index down by the already-pruned heads before it.
    int64_t shifted = h;
    for (int64_t p : already_pruned)
      if (p < h) --shifted;
    if (shifted < 0 || shifted >= n_heads)
      throw ValueError("prune_heads: head " + std::to_string(h) + " is out of range for a layer with " +
                       std::to_string(n_heads) + " remaining heads");
    for (int64_t j = 0; j < head_size; ++j) keep[size_t(shifted * head_size + j)] = 0;
  }
  std::vector<int64_t> index;
  for (size_t i = 0; i < keep.size(); ++i)
    if (keep[i]) index.push_back(int64_t(i));
  return {todo, Tensor::from_vector(index)};
}

namespace {
// The pruned copy as a new leaf parameter with the old one's requires_grad (Python builds a fresh
// nn.Parameter; the selection that made it is not part of any graph).
Tensor as_parameter(const Tensor& pruned, const Tensor& old) {
  Tensor p = pruned.detach();
  p.set_requires_grad(old.requires_grad());
  return p;
}
}  // namespace

std::shared_ptr<Linear> prune_linear_layer(const Linear& layer, const Tensor& index, int64_t dim) {
  if (dim != 0 && dim != 1) throw ValueError("prune_linear_layer: dim must be 0 or 1, found " + std::to_string(dim));
  Tensor w = ops::index_select(layer.weight, dim, index).to(DType::Float32).contiguous();
  auto out = std::make_shared<Linear>(w.size(1), w.size(0), layer.bias.defined(), DType::Float32);
  out->weight = as_parameter(w, layer.weight);
  if (layer.bias.defined())
    out->bias = as_parameter(
        (dim == 1 ? layer.bias.clone() : ops::index_select(layer.bias, 0, index)).to(DType::Float32).contiguous(),
        layer.bias);
  return out;
}

std::shared_ptr<Conv1D> prune_conv1d_layer(const Conv1D& layer, const Tensor& index, int64_t dim) {
  if (dim != 0 && dim != 1) throw ValueError("prune_conv1d_layer: dim must be 0 or 1, found " + std::to_string(dim));
  Tensor w = ops::index_select(layer.weight, dim, index).contiguous();
  auto out = std::make_shared<Conv1D>(w.size(1), w.size(0), w.dtype());
  out->weight = as_parameter(w, layer.weight);
  out->bias = as_parameter(dim == 0 ? layer.bias.clone() : ops::index_select(layer.bias, 0, index).contiguous(),
                           layer.bias);
  return out;
}

}  // namespace transformers::nn
