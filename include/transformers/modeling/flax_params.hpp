#pragma once
// FlaxPreTrainedModel's dtype casts of a parameter tree, which have a meaning without Flax:
//
//   io::FlaxMsgpackReader r("flax_model.msgpack");
//   FlaxParams params = r.tensors();                       // '/'-joined paths
//   // 4.51's docstring example: every floating parameter but LayerNorm's scale becomes bfloat16
//   params = to_bf16(params, [](const std::string& path) { return !path.ends_with("LayerNorm/scale"); });
//
// As 4.51's _cast_floating_to: only floating parameters are cast; `mask(path)` true selects a
// parameter for the cast (Python's mask is a tree of booleans of the params' structure; here a
// predicate over the flatten_dict path joined with '/'); no mask casts every floating parameter.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "transformers/core/tensor.hpp"

namespace transformers {

using FlaxParams = std::vector<std::pair<std::string, Tensor>>;
using FlaxParamMask = std::function<bool(const std::string& path)>;

FlaxParams to_bf16(const FlaxParams& params, const FlaxParamMask& mask = {});
FlaxParams to_fp16(const FlaxParams& params, const FlaxParamMask& mask = {});
FlaxParams to_fp32(const FlaxParams& params, const FlaxParamMask& mask = {});

}  // namespace transformers
