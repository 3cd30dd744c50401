#pragma once
// torch.nn.Embedding: weight [num_embeddings, embedding_dim]; padding_idx only matters for
// initialisation (that row is zeroed) and is kept so resizing and init_weights can honour it.
#include <optional>

#include "transformers/nn/module.hpp"

namespace transformers::nn {

class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = std::nullopt,
            DType dtype = DType::Float32);
  // ids (int64/int32, any shape) -> [..., embedding_dim]; an id out of range is a ValueError.
  Tensor forward(const Tensor& ids) const;
  Tensor operator()(const Tensor& ids) const { return forward(ids); }
  std::string name() const override { return "Embedding"; }

  int64_t num_embeddings() const { return weight.size(0); }
  int64_t embedding_dim() const { return weight.size(1); }

  Tensor weight;
  std::optional<int64_t> padding_idx;
};

}  // namespace transformers::nn
