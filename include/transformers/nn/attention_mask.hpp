#pragma once
// Attention masks as Hugging Face 4.51 builds them (modeling_utils.get_extended_attention_mask,
// modeling_attn_mask_utils, LlamaModel._prepare_4d_causal_attention_mask_with_cache_position).
// All masks here are additive: 0 where a key is attended, finfo(dtype).min where it is not.
#include <cstdint>
#include <optional>

#include "transformers/core/tensor.hpp"
#include "transformers/nn/attention.hpp"

namespace transformers::nn {

// How a model's eager path folds padding and causality together. 4.51 builds these with different
// helpers, which differ for masks that are not 0/1 and where both mask a key, so a model names its own.
enum class EagerMaskStyle {
  // ModuleUtilsMixin.get_extended_attention_mask: (1 - m) * min, causal models (1 - causal * m) * min (BERT).
  extended,
  // GPT-2: the layer's causal `bias` where() plus (1 - m) * min added on top: two terms, so a key
  // both rules mask gets min + min = -inf.
  causal_plus_extended,
  // Llama's _prepare_4d_causal_attention_mask_with_cache_position: 0 where causal and m != 0, else
  // min; a 4-D mask is taken as given (already additive).
  cache_position,
};

struct AttentionMaskOptions {
  // The model's implementation; output_attentions / head_mask make an sdpa model build eager masks
  // (its attention falls back to eager then).
  AttentionImplementation implementation = AttentionImplementation::sdpa;
  bool output_attentions = false;
  bool has_head_mask = false;
  bool is_causal = false;  // decoder self-attention
  int64_t batch = 1;
  int64_t query_length = 1;
  int64_t past_length = 0;  // cached keys before this call's queries
  DType dtype = DType::Float32;        // the inputs' dtype (sdpa masks, cache_position masks)
  std::optional<DType> eager_dtype;    // Python's self.dtype for extended-style masks (default: dtype)
  EagerMaskStyle eager_style = EagerMaskStyle::extended;
};

// The additive mask handed to attention_forward (undefined: none) and whether the kernel must then
// apply causality itself (is_causal).
struct PreparedAttentionMask {
  Tensor mask;
  bool is_causal = false;
};

// The one mask builder every model calls. attention_mask: undefined (all ones), 2-D [b, keys] (1
// attend, 0 pad), 3-D [b, from, to] (extended style) or 4-D additive (cache_position style).
// sdpa with a 2-D or no mask follows _prepare_4d_(causal_)attention_mask_for_sdpa: nothing when no
// key is padded and the kernel's own causal mask is exact (no past, or one query), else 0/min.
// Eager builds the model's EagerMaskStyle. ValueError for other ranks.
PreparedAttentionMask prepare_attention_mask(const Tensor& attention_mask, const AttentionMaskOptions& options);

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
