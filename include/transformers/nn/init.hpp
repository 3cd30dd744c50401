#pragma once
// The _init_weights most Hugging Face models share: Linear/Conv1D weights ~ N(0, std) with zero
// bias, Embedding ~ N(0, std) with the padding row zeroed, LayerNorm/RMSNorm weight 1 and bias 0.
// Applied to one module (not recursive), as PreTrainedModel._init_weights is.
#include "transformers/nn/module.hpp"
#include "transformers/ops/random.hpp"

namespace transformers::nn {

// Returns true when the module was one of the kinds above (so a model can add its own cases).
bool init_weights_normal(Module& module, double std, ops::Generator& gen = ops::default_generator());

}  // namespace transformers::nn
