// Chunked float16/bfloat16 loops (see half_ops.hpp).
#include "ops/cpu/half_ops.hpp"

#include <algorithm>

namespace transformers::ops::detail {

void round_to_half(float* x, DType dt, int64_t n) {
  uint16_t h[kHalfChunk];
  for (int64_t i = 0; i < n; i += kHalfChunk) {
    const int64_t c = std::min(kHalfChunk, n - i);
    float_to_half(x + i, dt, h, c);
    half_to_float(h, dt, x + i, c);
  }
}

namespace {
template <typename F>
void binary_chunks(DType dt, const uint16_t* a, int64_t a_st, const uint16_t* b, int64_t b_st, uint16_t* o, int64_t n,
                   F f) {
  float fa[kHalfChunk], fb[kHalfChunk];
  float sa = 0.0f, sb = 0.0f;
  if (a_st == 0) half_to_float(a, dt, &sa, 1);
  if (b_st == 0) half_to_float(b, dt, &sb, 1);
  for (int64_t i = 0; i < n; i += kHalfChunk) {
    const int64_t c = std::min(kHalfChunk, n - i);
    if (a_st) half_to_float(a + i, dt, fa, c);
    else std::fill(fa, fa + c, sa);
    if (b_st) half_to_float(b + i, dt, fb, c);
    else std::fill(fb, fb + c, sb);
    for (int64_t j = 0; j < c; ++j) fa[j] = f(fa[j], fb[j]);
    float_to_half(fa, dt, o + i, c);
  }
}
}  // namespace

void half_binary(BinaryOp op, DType dt, const uint16_t* a, int64_t a_st, const uint16_t* b, int64_t b_st, uint16_t* o,
                 int64_t n) {
  switch (op) {
    case BinaryOp::Add: binary_chunks(dt, a, a_st, b, b_st, o, n, [](float x, float y) { return x + y; }); return;
    case BinaryOp::Sub: binary_chunks(dt, a, a_st, b, b_st, o, n, [](float x, float y) { return x - y; }); return;
    case BinaryOp::Mul: binary_chunks(dt, a, a_st, b, b_st, o, n, [](float x, float y) { return x * y; }); return;
    default: binary_chunks(dt, a, a_st, b, b_st, o, n, [](float x, float y) { return x / y; }); return;
  }
}

}  // namespace transformers::ops::detail
