#pragma once
// Native float16/bfloat16 loops for the small elementwise and normalisation ops of a decode step.
// They give the same bits as "cast to float32, compute, cast back" (the composed path PyTorch's
// opmath follows), but convert through a stack chunk of a few hundred floats instead of
// materialising float32 copies of every operand and result: no allocation and one pass over memory.
// Conversions go through convert_fast (AVX2 / AVX-512 by kernel level) or the core's scalar
// conversion at the scalar level, so every level gives identical results.
#include <cstdint>

#include "transformers/core/dtype.hpp"

namespace transformers::ops::detail {

constexpr int64_t kHalfChunk = 512;  // floats per stack chunk (2 KiB)

// n contiguous 16-bit values of dtype `dt` (Float16 / BFloat16) <-> float32.
void half_to_float(const uint16_t* src, DType dt, float* dst, int64_t n);
void float_to_half(const float* src, DType dt, uint16_t* dst, int64_t n);
// x rounded to dtype dt and back (PyTorch's rounding between two 16-bit ops).
void round_to_half(float* x, DType dt, int64_t n);

// o[i] = round(a[i] op b[j]) for n elements; a_st / b_st are 0 (broadcast scalar) or 1 (contiguous).
// op: 0 add, 1 sub, 2 mul, 3 div.
void half_binary(int op, DType dt, const uint16_t* a, int64_t a_st, const uint16_t* b, int64_t b_st, uint16_t* o,
                 int64_t n);

}  // namespace transformers::ops::detail
