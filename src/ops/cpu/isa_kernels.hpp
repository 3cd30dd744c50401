#pragma once
// The CPU kernels that exist once per kernel level, as one set of entry points per level. Each is a
// template over the level's vector Vec<L> (core/isa/vec.hpp) written once in its *_impl.hpp; the
// level files (isa_kernels.cpp for the scalar level, isa_kernels_avx2.cpp, isa_kernels_avx512.cpp,
// compiled with their flags by cmake/isa_flags.cmake) instantiate isa_kernels<L>(), and
// current_isa_kernels() picks the set of kernel_level() through core/isa/level_table.hpp. The
// callers reach them through the thin entries of vec_math.hpp, gemm16.hpp, sgemm.hpp and
// attention_kernel.hpp.
#include <cstdint>

#include "ops/cpu/attention_kernel.hpp"
#include "ops/cpu/sgemm.hpp"
#include "ops/op_kinds.hpp"
#include "transformers/core/cpu_features.hpp"

namespace transformers::ops::detail {

struct IsaKernels {
  // Vector float32 math (vec_math_impl.hpp); nullptr where the level has none (callers' loops).
  // unary_f32 returns false for an op without a vector form, softmax_row_f32 for a row the scalar
  // loop must handle (NaN, all -inf, +inf).
  bool (*unary_f32)(UnaryOp op, float* out, const float* x, int64_t n);
  bool (*softmax_row_f32)(float* out, const float* x, int64_t n, bool log);
  // The fused attention tile (attention_tile_impl.hpp).
  void (*attn_tile)(const AttnTile& tile);
  // 16-bit weights, float32 accumulation (gemm16_impl.hpp; plain loops at the scalar level).
  void (*gemv16)(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, bool is_bf16,
                 const float* bias, float* y, int64_t ldy, int64_t n0, int64_t n1);
  void (*gemv16_kn)(const float* x, int64_t M, int64_t K, const uint16_t* w, int64_t ldw, bool is_bf16,
                    const float* bias, float* y, int64_t ldy, int64_t n0, int64_t n1);
  // Our float32 GEMM / GEMV engine (sgemm_impl.hpp, sgemv_impl.hpp); nullptr at the scalar level
  // (OpenBLAS). Arguments validated by sgemm.cpp.
  void (*sgemm)(int64_t M, int64_t N, int64_t K, const GemmOperand& A, const GemmOperand& B, float* C, int64_t ldc,
                const float* bias, bool accumulate, const GemmEpilogue* epilogue);
  void (*sgemv)(int64_t M, int64_t N, int64_t K, const float* x, int64_t ldx, const GemmOperand& B, float* y,
                int64_t ldy, const float* bias);
  int64_t (*sgemm_prepacked_b_floats)(int64_t K, int64_t N);
  void (*sgemm_prepack_b)(int64_t K, int64_t N, const GemmOperand& B, float* dst);
  void (*sgemm_prepacked)(int64_t M, int64_t N, int64_t K, const GemmOperand& A, const float* packed_b, float* C,
                          int64_t ldc, const float* bias, bool accumulate, const GemmEpilogue* epilogue);
  // out = g * d op(x) / dx (vec_math_impl.hpp): the activations' backward for float32 and bf16
  // (autocast) gradients, evaluated in float32 as torch does; false for an op without a vector form.
  bool (*unary_backward_f32)(UnaryOp op, float* out, const float* g, const float* x, int64_t n);
};

// The set built for level L (isa_kernels_impl.hpp), one instantiation per level file.
template <KernelLevel L>
const IsaKernels& isa_kernels();
extern template const IsaKernels& isa_kernels<KernelLevel::Scalar>();
extern template const IsaKernels& isa_kernels<KernelLevel::Avx2>();
extern template const IsaKernels& isa_kernels<KernelLevel::Avx512>();

// The set of the current kernel level.
const IsaKernels& current_isa_kernels();

}  // namespace transformers::ops::detail
