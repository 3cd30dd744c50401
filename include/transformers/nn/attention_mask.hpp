#pragma once
// Attention masks as Hugging Face 4.51 builds them (modeling_utils.get_extended_attention_mask,
// modeling_attn_mask_utils, LlamaModel._prepare_4d_causal_attention_mask_with_cache_position).
// All masks here are additive: 0 where a key is attended, finfo(dtype).min where it is not.
#include <cstdint>

#include "transformers/core/tensor.hpp"

namespace transformers::nn {

// torch.finfo(dtype).min: -3.4028e38 (float32), -65504 (float16), -3.3895e38 (bfloat16), float64's.
double dtype_min(DType dtype);

// ModuleUtilsMixin.get_extended_attention_mask: 3-D [b, from, to] -> [b,1,from,to]; 2-D [b, k] ->
// [b,1,1,k] for encoders, or for decoders the causal [b,1,seq_len,k] (mask columns beyond
// seq_len count as a cached prefix, all visible). Then (1 - m) * dtype_min(dtype).
// ValueError for other ranks.
Tensor get_extended_attention_mask(const Tensor& attention_mask, int64_t seq_len, bool is_decoder, DType dtype);

// ModuleUtilsMixin.invert_attention_mask (encoder masks for cross-attention): [b,1,1,k] / [b,1,s,k].
Tensor invert_attention_mask(const Tensor& encoder_attention_mask, DType dtype);

// A causal mask over a cache: query i (absolute position past_len + i) sees keys j <= past_len + i
// whose attention_mask entry is non-zero. attention_mask [b, key_len] may be undefined (no padding;
// then key_len = past_len + query_len and batch must be given). Returns [b, 1, query_len, key_len].
// This is the mask Llama builds (4.51 _prepare_4d_causal_attention_mask_with_cache_position) and
// GPT-2/BERT-decoder sdpa paths build (_prepare_4d_causal_attention_mask_for_sdpa): values 0/min.
Tensor causal_attention_mask(const Tensor& attention_mask, int64_t batch, int64_t query_len, int64_t past_len,
                             DType dtype);

// _prepare_4d_attention_mask (encoders, non-causal): [b, k] -> [b, 1, 1, k] with 0/min.
Tensor padding_attention_mask(const Tensor& attention_mask, DType dtype);

// True when a 2-D mask is absent or has no zero (the sdpa paths then drop it and use is_causal).
bool mask_is_all_ones(const Tensor& attention_mask);

// ModuleUtilsMixin.get_head_mask: [H] or [L, H] -> [L, 1, H, 1, 1] in dtype (undefined stays
// undefined); layer i's mask is then result[i] ([1, H, 1, 1]). ValueError for other ranks.
Tensor get_head_mask(const Tensor& head_mask, int64_t num_hidden_layers, DType dtype);
// Layer i's head mask (undefined when head_mask is undefined).
Tensor layer_head_mask(const Tensor& head_mask_5d, int64_t layer);

}  // namespace transformers::nn
