#include "transformers/nn/embedding.hpp"

#include "transformers/core/autograd.hpp"
#include "transformers/ops/elementwise.hpp"
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

Tensor Embedding::forward(const Tensor& ids) const {
  Tensor out = ops::embedding(weight, ids);
  // torch's padding_idx: the padding row gets no gradient. Positions holding it take the same
  // values through a detached copy, so only the other rows receive theirs.
  if (padding_idx && autograd::needs_record({&weight}))
    out = ops::where(ops::eq(ids, double(*padding_idx)).unsqueeze(-1), out.detach(), out);
  return out;
}

}  // namespace transformers::nn
