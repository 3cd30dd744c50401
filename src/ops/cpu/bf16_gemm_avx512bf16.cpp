// The vdpbf16ps kernels, built with the avx512bf16 level's flags (cmake/isa_flags.cmake).
#include "ops/cpu/bf16_gemm_impl.hpp"

namespace transformers::ops::detail {
template const Bf16DotKernels& bf16_dot_kernels<KernelLevel::Avx512Bf16>();
}  // namespace transformers::ops::detail
