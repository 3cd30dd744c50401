// Front of our float32 GEMM / GEMV: validates the operand layouts and runs the kernels of the
// current level (isa_kernels.hpp).
#include "ops/cpu/sgemm.hpp"

#include "ops/cpu/ab_switch.hpp"
#include "ops/cpu/isa_kernels.hpp"

namespace transformers::ops::detail {

namespace {
// One of the two strides must be 1 (the packers read contiguous rows or contiguous columns).
bool unit_stride(const GemmOperand& o) { return o.p != nullptr && (o.rs == 1 || o.cs == 1); }
}  // namespace

// TRANSFORMERS_OWN_GEMM=0 sends float32 products back to OpenBLAS: an A/B switch for benchmarks
// (same binary, same run), not a tuning knob.
bool own_sgemm_available() {
  static const bool disabled = ab_switch_off("TRANSFORMERS_OWN_GEMM");
  return !disabled && current_isa_kernels().sgemm != nullptr;
}


bool sgemm(int64_t M, int64_t N, int64_t K, const GemmOperand& A, const GemmOperand& B, float* C, int64_t ldc,
           const float* bias, bool accumulate, const GemmEpilogue* epilogue) {
  if (!own_sgemm_available() || A.kind != BKind::F32) return false;
  if (M <= 0 || N <= 0) return true;
  if (K == 0) {
    if (epilogue && (epilogue->gelu || epilogue->residual)) return false;  // callers fall back
    for (int64_t m = 0; m < M; ++m) {
      float* c = C + m * ldc;
      for (int64_t n = 0; n < N; ++n) c[n] = (accumulate ? c[n] : 0.0f) + (bias ? bias[n] : 0.0f);
    }
    return true;
  }
  if (!unit_stride(A) || !unit_stride(B)) return false;
  current_isa_kernels().sgemm(M, N, K, A, B, C, ldc, bias, accumulate, epilogue);
  return true;
}

int64_t sgemm_prepacked_b_floats(int64_t K, int64_t N) {
  if (!own_sgemm_available() || K <= 0 || N <= 0) return 0;
  return current_isa_kernels().sgemm_prepacked_b_floats(K, N);
}

bool sgemm_pack_b(int64_t K, int64_t N, const GemmOperand& B, float* dst) {
  if (!own_sgemm_available() || K <= 0 || N <= 0 || !unit_stride(B)) return false;
  current_isa_kernels().sgemm_prepack_b(K, N, B, dst);
  return true;
}

bool sgemm_prepacked(int64_t M, int64_t N, int64_t K, const GemmOperand& A, const float* packed_b, float* C,
                     int64_t ldc, const float* bias, bool accumulate, const GemmEpilogue* epilogue) {
  if (!own_sgemm_available() || A.kind != BKind::F32 || K <= 0 || !unit_stride(A) || packed_b == nullptr) return false;
  if (M <= 0 || N <= 0) return true;
  current_isa_kernels().sgemm_prepacked(M, N, K, A, packed_b, C, ldc, bias, accumulate, epilogue);
  return true;
}

bool sgemv(int64_t M, int64_t N, int64_t K, const float* x, int64_t ldx, const GemmOperand& B, float* y, int64_t ldy,
           const float* bias) {
  if (!own_sgemm_available() || M > kGemvMaxRows) return false;
  if (M <= 0 || N <= 0) return true;
  if (K == 0) {
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) y[m * ldy + n] = bias ? bias[n] : 0.0f;
    return true;
  }
  if (!unit_stride(B)) return false;
  current_isa_kernels().sgemv(M, N, K, x, ldx, B, y, ldy, bias);
  return true;
}

}  // namespace transformers::ops::detail
