#pragma once
// from_pretrained's torch_dtype "int8" (beyond 4.51, which refuses a non-floating dtype): the int8
// compute type of CTranslate2 (compute_type "int8"). The model loads in float32; then every
// nn.Linear and GPT-2 Conv1D weight gets an int8 copy (ops::quantize_weight_int8: per output
// channel, symmetric), so their products run on the int8 kernels with activations quantized per
// row. Embeddings, norms, attention's activation products and everything else stay float32.
#include "transformers/nn/module.hpp"

namespace transformers::modeling_detail {

// Quantizes the weights of every Linear / Conv1D under `root` (a tied weight once per layout);
// returns how many weights got an int8 copy.
int64_t quantize_linear_weights_int8(nn::Module& root);

}  // namespace transformers::modeling_detail
