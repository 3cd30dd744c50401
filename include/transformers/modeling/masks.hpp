#pragma once
// ModuleUtilsMixin's mask helpers and size estimates (4.51, spec hf-modeling.md §6.4-6.5) as free
// functions over a model: they read config.is_decoder and the model's dtype as Python's do. The
// arithmetic itself lives in nn/attention_mask.hpp, which the models use directly.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "transformers/modeling/modeling_utils.hpp"

namespace transformers {

// get_extended_attention_mask(attention_mask, input_shape, dtype=None): 3-D [b, from, to] ->
// [b,1,from,to]; 2-D -> [b,1,1,k] (encoders) or, with config.is_decoder, the causal
// [b,1,seq_len,k] with seq_len = input_shape[1] (mask columns beyond seq_len are a visible cached
// prefix); then (1 - m) * finfo(dtype).min. dtype defaults to model.dtype(). ValueError for
// other ranks or an input_shape that is not [batch, seq_len].
Tensor get_extended_attention_mask(const PreTrainedModel& model, const Tensor& attention_mask, const Shape& input_shape,
                                   std::optional<DType> dtype = std::nullopt);

// invert_attention_mask(encoder_attention_mask): 3-D -> [b,1,s,t], 2-D -> [b,1,1,t], then
// (1 - m) * finfo(model.dtype()).min.
Tensor invert_attention_mask(const PreTrainedModel& model, const Tensor& encoder_attention_mask);

// get_head_mask(head_mask, num_hidden_layers, is_attention_chunked): undefined stays undefined
// (Python's list of Nones); [H] or [L, H] -> [L, 1, H, 1, 1] in model.dtype() (a trailing extra dim
// when chunked). ValueError for other ranks (Python fails an assert).
Tensor get_head_mask(const PreTrainedModel& model, const Tensor& head_mask, int64_t num_hidden_layers,
                     bool is_attention_chunked = false);

// estimate_tokens(input_dict): numel of input_dict[main_input_name] ("input_ids"), or 0 (with a
// one-time warning on stderr) when absent.
int64_t estimate_tokens(const PreTrainedModel& model, const std::map<std::string, Tensor>& input_dict);

// floating_point_ops(input_dict, exclude_embeddings=True) = 6 * tokens * num_parameters(
// exclude_embeddings): the forward+backward estimate of 4.51 (independent of sequence length).
int64_t floating_point_ops(const PreTrainedModel& model, const std::map<std::string, Tensor>& input_dict,
                           bool exclude_embeddings = true);

}  // namespace transformers
