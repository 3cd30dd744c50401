#pragma once
// Native float16/bfloat16 loops for the small elementwise and normalisation ops of a decode step.
// They give the same bits as "cast to float32, compute, cast back" (the composed path PyTorch's
// opmath follows), but convert through a stack chunk of a few hundred floats instead of
// materialising float32 copies of every operand and result: no allocation and one pass over memory.
// Conversions go through the core's convert_contiguous (the vector kernels of the kernel level,
// bit-identical to the scalar conversion), so every level gives identical results.
#include <cstdint>

#include "ops/op_kinds.hpp"
#include "transformers/core/tensor.hpp"

namespace transformers::ops::detail {

constexpr int64_t kHalfChunk = 512;  // floats per stack chunk (2 KiB)

// n contiguous 16-bit values of dtype `dt` (Float16 / BFloat16) <-> float32.
inline void half_to_float(const uint16_t* src, DType dt, float* dst, int64_t n) {
  convert_contiguous(src, dt, dst, DType::Float32, n);
}
inline void float_to_half(const float* src, DType dt, uint16_t* dst, int64_t n) {
  convert_contiguous(src, DType::Float32, dst, dt, n);
}
// x rounded to dtype dt and back (PyTorch's rounding between two 16-bit ops).
void round_to_half(float* x, DType dt, int64_t n);

// o[i] = round(a[i] op b[j]) for n elements; a_st / b_st are 0 (broadcast scalar) or 1 (contiguous).
// op: Add, Sub, Mul or Div.
void half_binary(BinaryOp op, DType dt, const uint16_t* a, int64_t a_st, const uint16_t* b, int64_t b_st, uint16_t* o,
                 int64_t n);

}  // namespace transformers::ops::detail
