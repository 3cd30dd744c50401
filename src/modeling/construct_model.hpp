#pragma once
// Builds a model from its config (the registered factory), turning a size overflow into an error
// that names the config.json keys it came from.
#include <memory>

#include "transformers/modeling/modeling_utils.hpp"

namespace transformers::modeling_detail {

// factory(config). Weight shapes are products of config sizes (vocab_size x hidden_size, n x n for
// GPT-2's causal mask, ...); when one overflows, Tensor's checked allocation throws OverflowError
// with the sizes it combined, and this rethrows it naming the config keys holding those values.
std::shared_ptr<PreTrainedModel> construct_model(const ModelFactory& factory, const std::shared_ptr<PretrainedConfig>& config);

}  // namespace transformers::modeling_detail
