// Front-end query of the block types ops::linear runs natively.
#include "transformers/ops/quantized.hpp"

#include "ops/cpu/quant_gemm.hpp"

namespace transformers::ops {

bool has_quantized_linear(DType weight_dtype) { return detail::quant_gemm_supported(weight_dtype); }

}  // namespace transformers::ops
