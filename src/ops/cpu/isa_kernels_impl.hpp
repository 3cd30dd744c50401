#pragma once
// isa_kernels<L>(): the entry points of every per-level CPU kernel family at level L. Included
// only by the level files (isa_kernels.cpp, isa_kernels_avx2.cpp, isa_kernels_avx512.cpp).
#include "ops/cpu/attention_tile_impl.hpp"
#include "ops/cpu/gemm16_impl.hpp"
#include "ops/cpu/isa_kernels.hpp"
#include "ops/cpu/sgemm_impl.hpp"
#include "ops/cpu/sgemv_impl.hpp"
#include "ops/cpu/vec_math_impl.hpp"

namespace transformers::ops::detail {

template <KernelLevel L>
const IsaKernels& isa_kernels() {
  if constexpr (L == KernelLevel::Scalar) {
    // No vector math or GEMM engine of its own: the callers' scalar loops and OpenBLAS.
    static constexpr IsaKernels k{nullptr,
                                  nullptr,
                                  &AttnKernel<L>::run,
                                  &Gemm16Kernel<L>::gemv16,
                                  &Gemm16Kernel<L>::gemv16_kn,
                                  nullptr,
                                  nullptr,
                                  nullptr,
                                  nullptr,
                                  nullptr,
                                  nullptr};
    return k;
  } else {
    static constexpr IsaKernels k{&VecMath<L>::unary,
                                  &VecMath<L>::softmax_row,
                                  &AttnKernel<L>::run,
                                  &Gemm16Kernel<L>::gemv16,
                                  &Gemm16Kernel<L>::gemv16_kn,
                                  &Sgemm<L>::sgemm,
                                  &Sgemv<L>::sgemv,
                                  &Sgemm<L>::prepacked_b_floats,
                                  &Sgemm<L>::sgemm_prepack_b,
                                  &Sgemm<L>::sgemm_prepacked,
                                  &VecMath<L>::unary_backward};
    return k;
  }
}

}  // namespace transformers::ops::detail
