// The int8 GEMM kernels built with the avx512vnni level's flags (cmake/isa_flags.cmake).
#include "ops/cpu/int8_gemm_impl.hpp"

namespace transformers::ops::detail {
template const Int8Kernels& int8_kernels<KernelLevel::Avx512Vnni>();
}  // namespace transformers::ops::detail
