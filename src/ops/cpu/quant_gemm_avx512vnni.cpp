// The block-quantized GEMM kernels built with the avx512vnni level's flags (cmake/isa_flags.cmake).
#include "ops/cpu/quant_gemm_impl.hpp"

namespace transformers::ops::detail {
template const QuantKernels& quant_kernels<KernelLevel::Avx512Vnni>();
}  // namespace transformers::ops::detail
