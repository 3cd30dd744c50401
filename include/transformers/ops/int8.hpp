#pragma once
// The int8 compute type (issue 27; CTranslate2's compute_type "int8", which it also calls
// "int8_float32"): float32 Linear weights quantized per output channel (symmetric int8, one float
// scale per channel) once, and every product with them run as int8 x int8 dot products with the
// activations quantized per row at run time; float32 accumulation of the int32 sums times the two
// scales, bias in float32 (src/ops/cpu/int8_gemm.hpp). from_pretrained's torch_dtype "int8" calls
// quantize_weight_int8 on every nn.Linear / Conv1D weight after loading (docs/int8.md).
//
// The int8 copy lives with the weight's storage (freed with it) and belongs to that view of it
// (offset, sizes, strides, layout): products with another view, or with a different tensor, are not
// affected. It is taken once: a float32 weight changed in place afterwards keeps computing with the
// old int8 copy until quantize_weight_int8 is called again (a mapped checkpoint's weights cannot
// change in place).
#include <cstdint>

#include "transformers/core/tensor.hpp"

namespace transformers::ops {

// Quantizes `w` for ops::linear (kn_layout false: nn.Linear's [out, in]) or ops::addmm_conv1d (true:
// GPT-2 Conv1D's [in, out]); replaces an earlier copy of the same view. False, keeping nothing (the
// product stays float32), when `w` is not a 2-D float32 CPU tensor, holds a non-finite value, or has
// more than 65536 input features (the int32 sums could overflow).
bool quantize_weight_int8(const Tensor& w, bool kn_layout = false);
// Whether products with this view of `w` in this layout run int8.
bool has_int8_weight(const Tensor& w, bool kn_layout = false);
// Bytes of int8 copies (quants, scales, offsets) held for `w`'s storage, all views.
int64_t int8_weight_bytes(const Tensor& w);

}  // namespace transformers::ops
