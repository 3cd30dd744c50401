// ModuleUtilsMixin's mask helpers over a model (config.is_decoder, model dtype), delegating the
// arithmetic to nn/attention_mask.cpp, which the models' forwards share.
#include <cstdio>

#include "transformers/core/error.hpp"
#include "transformers/core/logging.hpp"
#include "transformers/modeling/masks.hpp"
#include "transformers/nn/attention_mask.hpp"

namespace transformers {

Tensor get_extended_attention_mask(const PreTrainedModel& model, const Tensor& attention_mask, const Shape& input_shape,
                                   std::optional<DType> dtype) {
  if (!attention_mask.defined()) throw ValueError("get_extended_attention_mask: attention_mask is None");
  const DType dt = dtype.value_or(model.dtype());
  if (!is_floating_point(dt))
    throw ValueError("get_extended_attention_mask: dtype must be floating point, found " + std::string(dtype_name(dt)));
  // input_shape only matters for the causal 2-D case (Python reads batch and seq_len from it).
  if (attention_mask.dim() == 2 && model.config().is_decoder()) {
    if (input_shape.size() != 2)
      throw ValueError("get_extended_attention_mask: input_shape must be [batch, seq_len], found " +
                       std::to_string(input_shape.size()) + " dims");
    if (input_shape[0] != attention_mask.size(0))
      throw ValueError("get_extended_attention_mask: input_shape batch " + std::to_string(input_shape[0]) +
                       " differs from the mask's " + std::to_string(attention_mask.size(0)));
    return nn::get_extended_attention_mask(attention_mask, input_shape[1], true, dt);
  }
  return nn::get_extended_attention_mask(attention_mask, 0, false, dt);
}

Tensor invert_attention_mask(const PreTrainedModel& model, const Tensor& encoder_attention_mask) {
  if (!encoder_attention_mask.defined()) throw ValueError("invert_attention_mask: encoder_attention_mask is None");
  return nn::invert_attention_mask(encoder_attention_mask, model.dtype());
}

Tensor get_head_mask(const PreTrainedModel& model, const Tensor& head_mask, int64_t num_hidden_layers,
                     bool is_attention_chunked) {
  Tensor hm = nn::get_head_mask(head_mask, num_hidden_layers, model.dtype());
  if (hm.defined() && is_attention_chunked) hm = hm.unsqueeze(-1);
  return hm;
}

int64_t estimate_tokens(const PreTrainedModel& model, const std::map<std::string, Tensor>& input_dict) {
  static bool warned = false;  // Python's warnings_issued dict: once
  auto it = input_dict.find("input_ids");
  if (it != input_dict.end() && it->second.defined()) return it->second.numel();
  if (!warned) {
    warned = true;
    logging::get_logger("transformers.modeling_utils")
        .warning("Could not estimate the number of tokens of the input, floating-point operations will not be "
                 "computed (" + model.name() + ")");
  }
  return 0;
}

int64_t floating_point_ops(const PreTrainedModel& model, const std::map<std::string, Tensor>& input_dict,
                           bool exclude_embeddings) {
  return 6 * estimate_tokens(model, input_dict) * model.num_parameters(false, exclude_embeddings);
}

}  // namespace transformers
