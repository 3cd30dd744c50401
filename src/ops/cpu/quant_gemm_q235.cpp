// The scalar level of the Q5_0 / Q5_1 / Q2_K / Q3_K / Q5_K kernels and the table of every level.
#include "ops/cpu/quant_gemm_q235.hpp"

// The scalar level's 32-byte generic vectors are wider than baseline registers; every function
// passing them has internal linkage, so the ABI note -Wpsabi gives at the instantiations is moot.
#pragma GCC diagnostic ignored "-Wpsabi"

#include "core/isa/level_table.hpp"
#include "ops/cpu/quant_gemm_q235_impl.hpp"

namespace transformers::ops::detail {

template const QuantKernels& quant_kernels_q235<KernelLevel::Scalar>();

const QuantKernels& current_quant_kernels_q235() {
  static const isa::LevelTable<QuantKernels> table{
      {KernelLevel::Scalar, &quant_kernels_q235<KernelLevel::Scalar>()},
      {KernelLevel::Avx2, &quant_kernels_q235<KernelLevel::Avx2>()},
      {KernelLevel::Avx512, &quant_kernels_q235<KernelLevel::Avx512>()},
      {KernelLevel::Avx512Vnni, &quant_kernels_q235<KernelLevel::Avx512Vnni>()},
  };
  return table.current();
}

bool quant_gemm_q235_supported(DType wt) {
  return wt == DType::Q5_0 || wt == DType::Q5_1 || wt == DType::Q2_K || wt == DType::Q3_K || wt == DType::Q5_K;
}

}  // namespace transformers::ops::detail
