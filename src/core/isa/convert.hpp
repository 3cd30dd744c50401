#pragma once
// The element conversions between float32 and the 16-bit floats, one kernel set per level
// (level_table.hpp). Bit-identical at every level to the core's scalar conversions
// (float_to_bf16 / float_to_fp16 and back). Reached through convert_contiguous (tensor.hpp).
#include <cstdint>

#include "transformers/core/cpu_features.hpp"

namespace transformers::isa {

struct ConvertKernels {
  void (*f32_to_bf16)(const float* src, uint16_t* dst, int64_t n);
  void (*bf16_to_f32)(const uint16_t* src, float* dst, int64_t n);
  void (*f32_to_f16)(const float* src, uint16_t* dst, int64_t n);
  void (*f16_to_f32)(const uint16_t* src, float* dst, int64_t n);
};

// The set built for level L: defined in convert_impl.hpp, instantiated for the scalar level by
// convert.cpp and for the others by their level files (convert_avx2.cpp, convert_avx512.cpp).
template <KernelLevel L>
const ConvertKernels& convert_kernels();
extern template const ConvertKernels& convert_kernels<KernelLevel::Scalar>();
extern template const ConvertKernels& convert_kernels<KernelLevel::Avx2>();
extern template const ConvertKernels& convert_kernels<KernelLevel::Avx512>();
// The set of the current kernel level.
const ConvertKernels& current_convert_kernels();

}  // namespace transformers::isa
