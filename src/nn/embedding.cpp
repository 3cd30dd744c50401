#include "transformers/nn/embedding.hpp"

#include "transformers/ops/indexing.hpp"

namespace transformers::nn {

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> pad, DType dtype)
    : padding_idx(pad) {
  if (num_embeddings < 0 || embedding_dim < 0)
    throw ValueError("Embedding: sizes must be non-negative, found " + std::to_string(num_embeddings) + "x" +
                     std::to_string(embedding_dim));
  // torch wraps a negative padding_idx once; out of range is an error there too.
  if (padding_idx) {
    if (*padding_idx < 0) *padding_idx += num_embeddings;
    if (*padding_idx < 0 || *padding_idx >= num_embeddings)
      throw ValueError("Embedding: padding_idx must be within num_embeddings (" + std::to_string(num_embeddings) +
                       "), found " + std::to_string(*pad));
  }
  weight = Tensor::zeros({num_embeddings, embedding_dim}, dtype);
  register_parameter("weight", &weight);
}

Tensor Embedding::forward(const Tensor& ids) const { return ops::embedding(weight, ids); }

}  // namespace transformers::nn
