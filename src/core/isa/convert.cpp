// The conversion kernels of the scalar level and the table of every level (level_table.hpp).
#include "core/isa/convert.hpp"

#include "core/isa/convert_impl.hpp"
#include "core/isa/level_table.hpp"

namespace transformers::isa {

template const ConvertKernels& convert_kernels<KernelLevel::Scalar>();

const ConvertKernels& current_convert_kernels() {
  static const LevelTable<ConvertKernels> table{
      {KernelLevel::Scalar, &convert_kernels<KernelLevel::Scalar>()},
      {KernelLevel::Avx2, &convert_kernels<KernelLevel::Avx2>()},
      {KernelLevel::Avx512, &convert_kernels<KernelLevel::Avx512>()},
  };
  return table.current();
}

}  // namespace transformers::isa
