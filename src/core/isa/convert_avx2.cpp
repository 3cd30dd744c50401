// The conversion kernels built with the avx2 level's flags (cmake/isa_flags.cmake).
#include "core/isa/convert_impl.hpp"

namespace transformers::isa {
template const ConvertKernels& convert_kernels<KernelLevel::Avx2>();
}  // namespace transformers::isa
