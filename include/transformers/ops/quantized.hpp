#pragma once
// What ops::linear does with GGUF block-quantized weights (issue 21): the types it runs natively
// (activations quantized to int8 per block of 32, integer block dot products; src/ops/cpu/quant_gemm*)
// instead of dequantizing the weight on every call.
#include "transformers/core/dtype.hpp"

namespace transformers::ops {

// Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K.
bool has_quantized_linear(DType weight_dtype);
// The types that also run on float32 activations (Q8_0, Q6_K), see QuantFloatActivationsGuard.
bool has_quantized_linear_float_activations(DType weight_dtype);

// While a guard is alive on a thread, ops::linear with a block weight of a type that has a
// float-activation kernel (Q8_0, Q6_K) multiplies the float32 activations as they are instead of
// rounding them to int8 blocks: the product of the dequantized weight up to the summation order,
// still reading the weight as stored. Models put the lm_head under it (its logits' argmax is what
// greedy decoding keeps; docs/gguf.md). Other types keep the int8 path.
class QuantFloatActivationsGuard {
 public:
  QuantFloatActivationsGuard();
  ~QuantFloatActivationsGuard();
  QuantFloatActivationsGuard(const QuantFloatActivationsGuard&) = delete;
  QuantFloatActivationsGuard& operator=(const QuantFloatActivationsGuard&) = delete;

 private:
  bool previous_;
};
// Whether a QuantFloatActivationsGuard is alive on this thread.
bool quant_float_activations();

}  // namespace transformers::ops
