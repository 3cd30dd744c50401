// ops::linear with a block-quantized weight (a GGUF model loaded with keep_quantized): the
// activations are quantized per block of 32 and the kernels of quant_gemm_impl.hpp read the weight
// blocks as stored, split over the pool by output features.
#include "ops/cpu/quant_gemm.hpp"
#include "ops/cpu/quant_gemm_q235.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/matmul.hpp"
#include "transformers/ops/quantized.hpp"

namespace transformers::ops::detail {

// Rows up to which the integer kernels run (decode, small batches); more rows (prefill) dequantize:
// the float GEMM of a dequantized copy beats the tiled integer kernels there (SmolLM2 Q4_1, prompt
// of 64 under the bench lock: 160 against 65 tokens/s; docs/benchmarks.md), and rounds nothing.
constexpr int64_t kMaxQuantizedRows = 16;

namespace {
// y [M, N] + bias, in the caller's shape and dtype.
Tensor finish(Tensor& y, const Tensor& bias, const Shape& osh, DType out_dt) {
  if (bias.defined()) {
    const int64_t M = y.size(0), N = y.size(1);
    const Tensor b = bias.to(DType::Float32).contiguous();
    const float* pb = b.data<float>();
    float* py = y.data<float>();
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) py[m * N + n] += pb[n];
  }
  return y.view(osh).to(out_dt);
}
}  // namespace

Tensor linear_quantized(const Tensor& x0, const Tensor& weight, const Tensor& bias) {
  const DType wt = weight.dtype();
  const int64_t N = weight.size(0), K = weight.size(1);
  const DType out_dt = is_floating_point(x0.dtype()) && !is_quantized(x0.dtype()) ? x0.dtype() : DType::Float32;
  Shape osh(x0.sizes().begin(), x0.sizes().end() - 1);
  osh.push_back(N);
  const int64_t M = shape_numel(Shape(x0.sizes().begin(), x0.sizes().end() - 1));
  const Tensor x = x0.reshape({M, K}).contiguous().to(DType::Float32);
  const QuantKernels& k = current_quant_kernels();
  const auto* w = static_cast<const uint8_t*>(weight.data_ptr());
  const DTypeTraits& t = dtype_traits(wt);
  const int64_t row_bytes = t.block_elems ? K / int64_t(t.block_elems) * int64_t(t.block_bytes) : 0;
  // The lm_head under QuantFloatActivationsGuard: the float activations as they are (no rounding).
  if (ops::quant_float_activations() && quant_gemm_f32act_supported(wt) && weight.is_contiguous() &&
      weight.storage_offset() == 0 && K % int64_t(t.block_elems) == 0 && M > 0 && N > 0 && M <= kMaxQuantizedRows) {
    Tensor y = Tensor::empty({M, N}, DType::Float32);
    const float* px = x.data<float>();
    float* py = y.data<float>();
    parallel_for(0, N, 16, [&](int64_t n0, int64_t n1) { k.gemm_f32act(wt, w, row_bytes, px, M, K, py, N, n0, n1); });
    return finish(y, bias, osh, out_dt);
  }
  // Reused per thread: the four vectors keep their capacity, so a decode step's ~200 products
  // allocate nothing for their activations. The pool's workers must read the caller's buffer through
  // this reference: inside the lambda the thread_local's own name would be each worker's copy.
  thread_local QuantizedRows q_buffer;
  QuantizedRows& q = q_buffer;
  // Types without kernels, views into a larger block buffer and non-finite inputs: the float
  // product of the dequantized weight (what 4.51 computes after its load-time dequantization).
  // Many rows (prefill): the float GEMM of a temporary dequantized copy is faster than the integer
  // kernels (and rounds nothing).
  if (!quant_gemm_supported(wt) || !weight.is_contiguous() || weight.storage_offset() != 0 || K % 32 != 0 ||
      M == 0 || N == 0 || M > kMaxQuantizedRows || !quantize_rows_q8(x.data<float>(), M, K, q))
    return linear(x0.to(DType::Float32), weight.to(DType::Float32), bias).to(out_dt);
  Tensor y = Tensor::empty({M, N}, DType::Float32);
  float* py = y.data<float>();
  const QuantKernels& kq = quant_gemm_q235_supported(wt) ? current_quant_kernels_q235() : k;
  parallel_for(0, N, 16, [&](int64_t n0, int64_t n1) { kq.gemm(wt, w, row_bytes, q, py, N, n0, n1); });
  return finish(y, bias, osh, out_dt);
}

}  // namespace transformers::ops::detail
