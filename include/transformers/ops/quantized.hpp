#pragma once
// What ops::linear does with GGUF block-quantized weights (issue 21): the types it runs natively
// (activations quantized to int8 per block of 32, integer block dot products; src/ops/cpu/quant_gemm*)
// instead of dequantizing the weight on every call.
#include "transformers/core/dtype.hpp"

namespace transformers::ops {

// Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K.
bool has_quantized_linear(DType weight_dtype);

}  // namespace transformers::ops
