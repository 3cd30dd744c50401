#pragma once
// Our own float32 GEMM / GEMV engine (sgemm_impl.hpp / sgemv_impl.hpp, built at the AVX2 and
// AVX-512 levels; at the scalar level the functions return false and the caller keeps using OpenBLAS). Operands are strided 2-D views: element (r, c) of a matrix lives at
// p[r * rs + c * cs], and one of rs / cs must be 1 (row-major or its transpose), so the nn.Linear
// weight [N, K] is passed as B with b_rs = 1, b_cs = ldw and needs no copy.
//
// B may hold float32 or 16-bit floats (bfloat16 / IEEE half): 16-bit B is widened to float32 while
// it is packed, so a bf16 / f16 weight multiplies in float32 without a float32 copy of the weight.
#include <cstdint>

namespace transformers::ops::detail {

enum class BKind { F32, BF16, F16 };

struct GemmOperand {
  const void* p = nullptr;  // float* for A (always float32); float* or uint16_t* for B (see kind)
  int64_t rs = 0, cs = 1;   // strides in elements of rows and columns
  BKind kind = BKind::F32;
};

// Work done on each C tile while it is still in registers, after its last k block (the encoder
// fusions of issue 27): C = gelu(A·B + bias) when gelu (erf form, the same vector formula as
// ops::gelu), then + residual[m * ldr + n] when residual != nullptr. The residual comes last, so
// with accumulate the result is exactly linear-then-add (and linear-then-gelu) in the same order of
// float additions as the unfused ops. Saves the separate passes over C that the ops would make.
struct GemmEpilogue {
  bool gelu = false;
  const float* residual = nullptr;
  int64_t ldr = 0;
};

// True when this kernel level has our own kernels (AVX-512 or AVX2). TRANSFORMERS_OWN_GEMM=0
// turns the engine off (OpenBLAS everywhere) for A/B benchmarks.
bool own_sgemm_available();

// C[M, N] (row stride ldc, unit column stride) = A[M, K] · B[K, N]  (+ bias[n] when bias != nullptr)
// (+ the previous C when accumulate). A must be float32. Returns false, touching nothing, when the
// kernel level has no own kernel or a stride pattern is not supported. K == 0 writes bias / zero.
// Runs on our thread pool (get_num_threads()); small products stay on the calling thread.
bool sgemm(int64_t M, int64_t N, int64_t K, const GemmOperand& A, const GemmOperand& B, float* C, int64_t ldc,
           const float* bias, bool accumulate, const GemmEpilogue* epilogue = nullptr);

// The decode-shaped product for few rows (M <= kGemvMaxRows): streams B once, split over the
// pool. x is float32 [M, K] with row stride ldx; y[m * ldy + n] = sum_k x[m, k] B(k, n) (+ bias[n]).
// Same return contract as sgemm.
constexpr int64_t kGemvMaxRows = 4;
bool sgemv(int64_t M, int64_t N, int64_t K, const float* x, int64_t ldx, const GemmOperand& B, float* y, int64_t ldy,
           const float* bias);

// B packed once for many products (a model's weight, see packed_weights.hpp). The layout depends
// on the kernel level, so a packed B is only valid for the level it was packed at.
// sgemm_prepacked_b_floats: floats a packed K x N B takes at the current level (0: no own kernel).
// sgemm_pack_b: packs B (any unit-stride layout and kind, as for sgemm) into dst; false, touching
// nothing, when sgemm would return false for this B.
// sgemm_prepacked: sgemm with B given packed (same contract, bias, accumulate, epilogue).
int64_t sgemm_prepacked_b_floats(int64_t K, int64_t N);
bool sgemm_pack_b(int64_t K, int64_t N, const GemmOperand& B, float* dst);
bool sgemm_prepacked(int64_t M, int64_t N, int64_t K, const GemmOperand& A, const float* packed_b, float* C,
                     int64_t ldc, const float* bias, bool accumulate, const GemmEpilogue* epilogue = nullptr);

}  // namespace transformers::ops::detail
