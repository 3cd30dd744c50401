#pragma once
// The conversion loops of convert.hpp, written once over the level's vector (vec.hpp). Included
// only by the files that instantiate convert_kernels<L>() (convert.cpp, convert_avx2.cpp,
// convert_avx512.cpp).
#include <algorithm>

#include "core/isa/convert.hpp"
#include "core/isa/vec.hpp"
#include "transformers/core/dtype.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace transformers::isa {
namespace {

// n elements from src (type S) to dst (type D) with `vec(from, to)` converting kWidth elements;
// the tail goes through a zero-padded buffer so it uses the same instructions.
template <int W, typename S, typename D, typename F>
inline void vector_loop(const S* src, D* dst, int64_t n, F vec) {
  int64_t i = 0;
  for (; i + W <= n; i += W) vec(src + i, dst + i);
  if (i < n) {
    S in[W] = {};
    D out[W];
    std::copy(src + i, src + n, in);
    vec(in, out);
    std::copy(out, out + (n - i), dst + i);
  }
}

// At the scalar level each element goes through the core's scalar conversion.
template <KernelLevel L>
void f32_to_bf16(const float* s, uint16_t* d, int64_t n) {
  if constexpr (L == KernelLevel::Scalar) {
    for (int64_t i = 0; i < n; ++i) d[i] = float_to_bf16(s[i]);
  } else {
    using V = Vec<L>;
    vector_loop<V::kWidth>(s, d, n, [](const float* a, uint16_t* b) { V::store_bf16(b, V::load(a)); });
  }
}
template <KernelLevel L>
void bf16_to_f32(const uint16_t* s, float* d, int64_t n) {
  if constexpr (L == KernelLevel::Scalar) {
    for (int64_t i = 0; i < n; ++i) d[i] = bf16_to_float(s[i]);
  } else {
    using V = Vec<L>;
    vector_loop<V::kWidth>(s, d, n, [](const uint16_t* a, float* b) { V::store(b, V::load_bf16(a)); });
  }
}
template <KernelLevel L>
void f32_to_f16(const float* s, uint16_t* d, int64_t n) {
  if constexpr (L == KernelLevel::Scalar) {
    for (int64_t i = 0; i < n; ++i) d[i] = float_to_fp16(s[i]);
  } else {
    using V = Vec<L>;
    vector_loop<V::kWidth>(s, d, n, [](const float* a, uint16_t* b) { V::store_f16(b, V::load(a)); });
  }
}
template <KernelLevel L>
void f16_to_f32(const uint16_t* s, float* d, int64_t n) {
  if constexpr (L == KernelLevel::Scalar) {
    for (int64_t i = 0; i < n; ++i) d[i] = fp16_to_float(s[i]);
  } else {
    using V = Vec<L>;
    vector_loop<V::kWidth>(s, d, n, [](const uint16_t* a, float* b) { V::store(b, V::load_f16(a)); });
  }
}

}  // namespace

template <KernelLevel L>
const ConvertKernels& convert_kernels() {
  static constexpr ConvertKernels k{&f32_to_bf16<L>, &bf16_to_f32<L>, &f32_to_f16<L>, &f16_to_f32<L>};
  return k;
}

}  // namespace transformers::isa

#pragma GCC diagnostic pop
