#pragma once
// The encoder layers' Linear + following op through ops::fused_linear (the GEMM epilogue, issue 27):
// BERT-style `act(dense(h))` and `dropout(dense(h)) + input`. Unfused when the Linear has a hook
// (tensor parallelism's all-reduce / all-gather, disk offload: they must see dense's own result) or
// when dropout is active; ops::fused_linear itself falls back for anything its kernel does not cover.
#include <string_view>

#include "transformers/nn/linear.hpp"
#include "transformers/ops/dropout.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/fused_linear.hpp"

namespace transformers::models_detail {

// activation(dense(h)), as ACT2FN[act](dense(h)).
inline Tensor dense_activation(const nn::Linear& dense, const Tensor& h, std::string_view act) {
  if (dense.input_hook || dense.output_hook) return ops::activation(dense.forward(h), act);
  return ops::fused_linear(h, dense.weight, dense.bias, {.activation = act});
}

// dropout(dense(h), p, training) + residual: the sum a post-LN encoder layer normalises.
inline Tensor dense_dropout_add(const nn::Linear& dense, const Tensor& h, const Tensor& residual, double p,
                                bool training) {
  if (dense.input_hook || dense.output_hook || (training && p > 0.0))
    return ops::add(ops::dropout(dense.forward(h), p, training), residual);
  return ops::fused_linear(h, dense.weight, dense.bias, {.residual = residual});
}

}  // namespace transformers::models_detail
