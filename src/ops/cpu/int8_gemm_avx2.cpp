// The int8 GEMM kernels built with the avx2 level's flags (cmake/isa_flags.cmake).
#include "ops/cpu/int8_gemm_impl.hpp"

namespace transformers::ops::detail {
template const Int8Kernels& int8_kernels<KernelLevel::Avx2>();
}  // namespace transformers::ops::detail
