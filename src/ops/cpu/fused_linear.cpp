// float32 nn.Linear with its bias, GELU and residual add done on each C tile of our GEMM
// (sgemm.hpp's GemmEpilogue); the weight packed once when it is cacheable (packed_weights.hpp).
#include "ops/cpu/fused_linear.hpp"

#include "ops/cpu/packed_weights.hpp"
#include "ops/cpu/sgemm.hpp"

namespace transformers::ops::detail {

Tensor linear_epilogue_f32(const Tensor& x0, const Tensor& weight, const Tensor& bias, bool gelu,
                           const Tensor& residual) {
  const int64_t N = weight.size(0), K = weight.size(1);
  // Few rows: the GEMV path of ops::linear is the faster one, and there is little to save.
  const int64_t M = K > 0 ? x0.numel() / K : 0;
  if (M <= kGemvMaxRows || N == 0 || K == 0 || weight.stride(1) != 1 || weight.stride(0) < K) return Tensor();
  const Tensor x = x0.contiguous();
  const Tensor b = bias.defined() ? bias.contiguous() : Tensor();
  const Tensor r = residual.defined() ? residual.contiguous() : Tensor();
  Shape osh(x0.sizes().begin(), x0.sizes().end() - 1);
  osh.push_back(N);
  Tensor y = Tensor::empty(osh, DType::Float32);
  // B(k, n) = weight(n, k): the nn.Linear weight's rows are B's columns, contiguous along k.
  const GemmOperand B{weight.data<float>(), 1, weight.stride(0), BKind::F32};
  const GemmOperand A{x.data<float>(), K, 1, BKind::F32};
  const GemmEpilogue epi{.gelu = gelu, .residual = r.defined() ? r.data<float>() : nullptr, .ldr = N};
  const float* pb = b.defined() ? b.data<float>() : nullptr;
  const float* packed = packed_weight(weight, B, K, N, M);
  if (packed && sgemm_prepacked(M, N, K, A, packed, y.data<float>(), N, pb, false, &epi)) return y;
  if (sgemm(M, N, K, A, B, y.data<float>(), N, pb, false, &epi)) return y;
  return Tensor();
}

}  // namespace transformers::ops::detail
