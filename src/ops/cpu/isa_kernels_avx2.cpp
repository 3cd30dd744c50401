// The CPU kernels built with the avx2 level's flags (cmake/isa_flags.cmake).
#include "ops/cpu/isa_kernels_impl.hpp"

namespace transformers::ops::detail {
template const IsaKernels& isa_kernels<KernelLevel::Avx2>();
}  // namespace transformers::ops::detail
