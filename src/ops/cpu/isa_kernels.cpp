// The CPU kernels of the scalar level (baseline x86-64 code) and the table of every level.
#include "ops/cpu/isa_kernels.hpp"

// The scalar level's 8-lane generic vectors are wider than baseline registers; every function
// passing them has internal linkage, so the ABI note -Wpsabi gives at the instantiations is moot.
#pragma GCC diagnostic ignored "-Wpsabi"

#include "core/isa/level_table.hpp"
#include "ops/cpu/isa_kernels_impl.hpp"

namespace transformers::ops::detail {

template const IsaKernels& isa_kernels<KernelLevel::Scalar>();

const IsaKernels& current_isa_kernels() {
  static const isa::LevelTable<IsaKernels> table{
      {KernelLevel::Scalar, &isa_kernels<KernelLevel::Scalar>()},
      {KernelLevel::Avx2, &isa_kernels<KernelLevel::Avx2>()},
      {KernelLevel::Avx512, &isa_kernels<KernelLevel::Avx512>()},
  };
  return table.current();
}

}  // namespace transformers::ops::detail
