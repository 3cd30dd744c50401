// Front-end query of the block types ops::linear runs natively, and the float-activation guard.
#include "transformers/ops/quantized.hpp"

#include "ops/cpu/quant_gemm.hpp"

namespace transformers::ops {

bool has_quantized_linear(DType weight_dtype) { return detail::quant_gemm_supported(weight_dtype); }
bool has_quantized_linear_float_activations(DType weight_dtype) {
  return detail::quant_gemm_f32act_supported(weight_dtype);
}

namespace {
thread_local bool float_activations = false;
}
QuantFloatActivationsGuard::QuantFloatActivationsGuard() : previous_(float_activations) { float_activations = true; }
QuantFloatActivationsGuard::~QuantFloatActivationsGuard() { float_activations = previous_; }
bool quant_float_activations() { return float_activations; }

}  // namespace transformers::ops
