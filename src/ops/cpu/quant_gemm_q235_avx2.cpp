// The Q5_0 / Q5_1 / Q2_K / Q3_K / Q5_K kernels built with the avx2 level's flags (cmake/isa_flags.cmake).
#include "ops/cpu/quant_gemm_q235_impl.hpp"

namespace transformers::ops::detail {
template const QuantKernels& quant_kernels_q235<KernelLevel::Avx2>();
}  // namespace transformers::ops::detail
