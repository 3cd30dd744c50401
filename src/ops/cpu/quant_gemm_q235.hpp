#pragma once
// Kept-quantized products for the GGML block types added after the first five (issue 21): Q5_0,
// Q5_1, Q2_K, Q3_K and Q5_K. They are a kernel family of their own (quant_gemm_q235_impl.hpp,
// built per level by quant_gemm_q235*.cpp) so that the Q8_0/Q4_* kernels of quant_gemm_impl.hpp
// can be tuned without touching these; both share QuantKernels, the int8 activation blocks of
// quantize_rows_q8 and the front end linear_quantized (quant_linear.cpp), which picks the family
// by the weight's type. The error bound is the same: the activation rounding alone.
#include "ops/cpu/quant_gemm.hpp"

namespace transformers::ops::detail {

template <KernelLevel L>
const QuantKernels& quant_kernels_q235();
extern template const QuantKernels& quant_kernels_q235<KernelLevel::Scalar>();
extern template const QuantKernels& quant_kernels_q235<KernelLevel::Avx2>();
extern template const QuantKernels& quant_kernels_q235<KernelLevel::Avx512>();
extern template const QuantKernels& quant_kernels_q235<KernelLevel::Avx512Vnni>();

// The set of the current kernel level (AVX-512 BF16 runs the VNNI set: no bf16 operation helps
// integer dot products).
const QuantKernels& current_quant_kernels_q235();

// Q5_0, Q5_1, Q2_K, Q3_K, Q5_K.
bool quant_gemm_q235_supported(DType wt);

}  // namespace transformers::ops::detail
