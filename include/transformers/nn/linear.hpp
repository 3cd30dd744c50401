#pragma once
// torch.nn.Linear and GPT-2's Conv1D (transformers.pytorch_utils.Conv1D). Parameters are named
// "weight" and "bias" as in Python; Linear stores weight [out, in], Conv1D stores it transposed,
// [in, out], exactly as GPT-2 checkpoints hold it (no transposition on load or save).
#include <functional>

#include "transformers/nn/module.hpp"

namespace transformers::nn {

class Linear : public Module {
 public:
  // Weight zero-filled, bias zero: the owner's init_weights (or a checkpoint) sets real values.
  Linear(int64_t in_features, int64_t out_features, bool bias = true, DType dtype = DType::Float32);
  Tensor forward(const Tensor& x) const;
  Tensor operator()(const Tensor& x) const { return forward(x); }
  std::string name() const override { return "Linear"; }

  // Current sizes (read from the weight, so a pruned or resized layer reports its new shape).
  int64_t in_features() const { return weight.size(1); }
  int64_t out_features() const { return weight.size(0); }

  Tensor weight;  // [out, in]
  Tensor bias;    // [out] or undefined (bias=False)
  // Applied to forward's result when set: tensor parallelism (distributed/tensor_parallel.hpp) puts
  // the all-reduce of a row-wise shard or the all-gather of a column-wise one here.
  std::function<Tensor(const Tensor&)> output_hook;
  // Applied to forward's input when set: a row-wise shard fed the whole input (4.51's "rowwise_rep")
  // takes its block of input features here.
  std::function<Tensor(const Tensor&)> input_hook;
};

class Conv1D : public Module {
 public:
  // Python's argument order: Conv1D(nf = output features, nx = input features).
  Conv1D(int64_t nf, int64_t nx, DType dtype = DType::Float32);
  Tensor forward(const Tensor& x) const;
  Tensor operator()(const Tensor& x) const { return forward(x); }
  std::string name() const override { return "Conv1D"; }

  int64_t nf() const { return weight.size(1); }
  int64_t nx() const { return weight.size(0); }

  Tensor weight;  // [nx, nf]
  Tensor bias;    // [nf]
};

}  // namespace transformers::nn
