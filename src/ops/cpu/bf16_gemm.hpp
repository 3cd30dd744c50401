#pragma once
// Native bfloat16 products (issue 27): bf16 activations times bf16 weights with float32
// accumulation by AVX-512 BF16's vdpbf16ps, which multiplies a pair of bf16 values along k in each
// float32 lane and adds both products to the lane (the odd element's product first, then the even
// one's, each add rounded to float32 — bf16_dot_model below is that arithmetic in scalar code).
//
// The weight B (K x N) is packed once into the layout the instruction reads (pair-interleaved):
// strips of kBf16Strip columns, N padded with zero columns; inside a strip, for each k pair p, one
// dword per column c holding B(2p, c) in its low half and B(2p+1, c) in its high half (0 past an
// odd K). A packed weight does not depend on the kernel level (only avx512bf16 reads it), so the
// packer is plain code and the cache (packed_weights.hpp) keeps one copy per weight view.
//
// Only the avx512bf16 level has the kernels (bf16_gemm_impl.hpp, bf16_gemm_avx512bf16.cpp); below
// it the 16-bit products keep widening bf16 to float32 (gemm16.hpp, sgemm.hpp).
#include <cstdint>

#include "transformers/core/cpu_features.hpp"
#include "transformers/core/dtype.hpp"

namespace transformers::ops::detail {

inline constexpr int64_t kBf16Strip = 48;  // three 16-lane float32 accumulators per row

// The kernel set of one level (nullptr: this level has none).
struct Bf16DotKernels {
  // y[m*ldy + n] = sum_k x[m*ldx + k] * B(k, n) (+ bias[n]) for m < M, n < N; x bf16, y float32.
  void (*gemm_packed)(int64_t M, int64_t N, int64_t K, const uint16_t* x, int64_t ldx, const uint16_t* packed,
                      const float* bias, float* y, int64_t ldy);
  // The same product with y bf16: each output is float_to_bf16 of gemm_packed's float32 one.
  void (*gemm_packed_bf16)(int64_t M, int64_t N, int64_t K, const uint16_t* x, int64_t ldx, const uint16_t* packed,
                           const float* bias, uint16_t* y, int64_t ldy);
};
template <KernelLevel L>
const Bf16DotKernels& bf16_dot_kernels();
extern template const Bf16DotKernels& bf16_dot_kernels<KernelLevel::Avx512Bf16>();

// True when the current kernel level has the native kernels and TRANSFORMERS_BF16_DOT is not 0
// (the A/B switch: same binary, the widening path).
bool bf16_dot_available();

// uint16 elements of a packed K x N B.
int64_t bf16_packed_b_elems(int64_t K, int64_t N);
// Packs B(k, n) = b[k*rs + n*cs] (bf16) into dst (bf16_packed_b_elems(K, N) elements).
void bf16_pack_b(int64_t K, int64_t N, const uint16_t* b, int64_t rs, int64_t cs, uint16_t* dst);
// The product with a packed B (see Bf16DotKernels::gemm_packed); false, touching nothing, when
// bf16_dot_available() is false.
bool bf16_gemm_packed(int64_t M, int64_t N, int64_t K, const uint16_t* x, int64_t ldx, const uint16_t* packed,
                      const float* bias, float* y, int64_t ldy);
// The same with a bf16 y, rounded in the kernel's store (Bf16DotKernels::gemm_packed_bf16).
bool bf16_gemm_packed_bf16(int64_t M, int64_t N, int64_t K, const uint16_t* x, int64_t ldx, const uint16_t* packed,
                           const float* bias, uint16_t* y, int64_t ldy);

// The kernel's arithmetic for one output, in scalar code: acc = 0; for each k pair, acc += odd
// product, then acc += even product (each product is exact in float32: 8-bit by 8-bit significands);
// then + bias. Equal to the hardware's bits while values and partial sums stay normal floats
// (vdpbf16ps flushes denormal inputs and results; this model does not). b(k) = b[k * bstride].
inline float bf16_dot_model(const uint16_t* x, const uint16_t* b, int64_t bstride, int64_t K, const float* bias) {
  float acc = 0.0f;
  for (int64_t k = 0; k < K; k += 2) {
    if (k + 1 < K) acc += bf16_to_float(x[k + 1]) * bf16_to_float(b[(k + 1) * bstride]);
    acc += bf16_to_float(x[k]) * bf16_to_float(b[k * bstride]);
  }
  return bias ? acc + *bias : acc;
}

}  // namespace transformers::ops::detail
