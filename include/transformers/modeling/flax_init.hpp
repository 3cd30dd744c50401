#pragma once
// FlaxPreTrainedModel's _do_init=False and init_weights(rng, input_shape, params), in terms of a
// Flax param tree (FlaxParams: '/'-joined paths, Flax layouts) and a PyTorch-layout model:
//
//   io::FlaxMsgpackReader r("flax_model.msgpack");               // a checkpoint lacking some params
//   FlaxParams params = r.tensors();
//   auto missing = flax_missing_keys(*model, params);            // 4.51's cls._missing_keys
//   FlaxParams full = init_weights(*model, /*seed=*/0, {1, 1}, params);   // missing ones filled
//   load_flax_params(*model, full);                              // the model's weights are exactly these
//
// As 4.51: init_weights without params is a fresh initialisation (the model's _init_weights,
// seeded); with params it returns them unchanged (unexpected paths included) plus exactly the
// missing required params taken from that fresh initialisation. load_flax_params is "a model whose
// parameters come only from a given state": every required param must be given (KeyError listing
// the missing ones, as a Flax call with an incomplete tree fails), nothing of the model's own
// weights is kept.
#include <cstdint>
#include <string>
#include <vector>

#include "transformers/core/tensor.hpp"
#include "transformers/modeling/flax_params.hpp"
#include "transformers/modeling/modeling_utils.hpp"

namespace transformers {

// The paths 4.51's Flax class of `model` requires (model.required_params), sorted.
std::vector<std::string> flax_required_params(PreTrainedModel& model);
// required_params minus the given paths, sorted.
std::vector<std::string> flax_missing_keys(PreTrainedModel& model, const FlaxParams& params);
// `input_shape` (Flax traces the module with input ids of that shape) must have positive sizes;
// the param shapes here come from the config. Paths in Flax's sorted order.
FlaxParams init_weights(PreTrainedModel& model, uint64_t seed, const Shape& input_shape = {1, 1},
                        const FlaxParams* params = nullptr);
// Sets the model's parameters to `params` (converted as from_flax); returns what was unexpected.
LoadingInfo load_flax_params(PreTrainedModel& model, const FlaxParams& params);

}  // namespace transformers
