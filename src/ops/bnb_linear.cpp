// ops::linear with a bitsandbytes weight (ops/bnb.hpp), dequantizing per call (correctness first):
// - 4-bit, as Linear4bit.forward on bitsandbytes' generic CPU path: the input cast to the compute
//   dtype, the weight dequantized (float32, then the dtype it was quantized from, then the compute
//   dtype), the float product, the result cast back to the input's dtype.
// - int8, as MatMul8bitLt (LLM.int8): the input cast to float16 and each row rounded to int8 against
//   its absolute maximum, the columns holding a value with |x| >= threshold left out (zeroed) and
//   computed in float against the dequantized weight columns instead; the int32 product scaled by
//   row max * SCB / 127^2, plus the bias, plus the outlier part.
#include <cmath>

#include "transformers/ops/bnb.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/matmul.hpp"

namespace transformers::ops::detail {

namespace {

Tensor linear_4bit(const Tensor& x, const Tensor& weight, const Bnb4bitState& st, const Tensor& bias) {
  if (st.shape.size() != 2 || st.shape[1] != x.size(-1))
    throw ShapeError("linear: input's last dim must equal the 4-bit weight's in_features, found input " +
                     shape_str(x.sizes()) + " for weight shape " + shape_str(st.shape));
  const DType in_dt = x.dtype();
  const DType cd = st.compute_dtype.value_or(in_dt);
  const Tensor w = bnb_dequantize_4bit(weight, st).to(st.dtype).to(cd);
  return linear(x.to(cd), w, bias.defined() ? bias.to(cd) : bias).to(in_dt);
}

Tensor linear_int8(const Tensor& x0, const Tensor& cb0, const Bnb8bitState& st, const Tensor& bias) {
  if (cb0.dim() != 2 || cb0.dtype() != DType::Int8 || st.SCB.numel() != cb0.size(0) || x0.size(-1) != cb0.size(1))
    throw ShapeError("linear: int8 weight " + shape_str(cb0.sizes()) + " with " + std::to_string(st.SCB.numel()) +
                     " SCB values cannot take input " + shape_str(x0.sizes()));
  const DType in_dt = x0.dtype();
  const int64_t N = cb0.size(0), K = cb0.size(1);
  Shape osh(x0.sizes().begin(), x0.sizes().end() - 1);
  const int64_t M = shape_numel(osh);
  osh.push_back(N);
  const Tensor xa = x0.reshape({M, K}).contiguous().to(DType::Float32).contiguous();  // A as given
  const Tensor xh = x0.reshape({M, K}).to(DType::Float16).to(DType::Float32).contiguous();  // A.to(float16)
  const Tensor cbc = cb0.contiguous();
  const Tensor scb = st.SCB.contiguous().to(DType::Float32).contiguous();
  const float *a = xa.data<float>(), *h = xh.data<float>(), *s = scb.data<float>();
  const int8_t* cb = cbc.data<int8_t>();
  // outlier columns: any |A16| >= threshold
  std::vector<char> outlier(size_t(K), 0);
  bool any = false;
  if (st.threshold > 0)
    for (int64_t i = 0; i < M * K; ++i)
      if (std::fabs(h[i]) >= float(st.threshold)) {
        outlier[size_t(i % K)] = 1;
        any = true;
      }
  std::vector<int8_t> ca(static_cast<size_t>(M * K));
  std::vector<float> sca(static_cast<size_t>(M), 0.0f);
  for (int64_t m = 0; m < M; ++m) {
    float mx = 0;  // the row maximum with the outliers themselves zeroed
    for (int64_t k = 0; k < K; ++k) {
      const float v = h[m * K + k];
      if (!(st.threshold > 0 && std::fabs(v) >= float(st.threshold))) mx = std::max(mx, std::fabs(v));
    }
    sca[size_t(m)] = mx;
    const float r = (1.0f / mx) * 127.0f;  // Python's 127.0 / t is t.reciprocal() * 127.0
    for (int64_t k = 0; k < K; ++k) {
      const float v = h[m * K + k];
      const bool zero = outlier[size_t(k)] || mx == 0;
      ca[size_t(m * K + k)] = zero ? int8_t(0) : int8_t(std::nearbyint(v * r));
    }
  }
  Tensor y = Tensor::empty({M, N}, DType::Float32);
  float* py = y.data<float>();
  const Tensor b = bias.defined() ? bias.to(DType::Float32).contiguous() : Tensor();
  const float* pb = b.defined() ? b.data<float>() : nullptr;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      int32_t acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += int32_t(ca[size_t(m * K + k)]) * int32_t(cb[n * K + k]);
      float v = float(acc) * (sca[size_t(m)] * s[n]) * 6.200124e-05f;
      if (pb) v += pb[n];
      if (any) {
        float o = 0;  // A[:, outlier cols] @ dequantized CB[:, outlier cols]^T
        for (int64_t k = 0; k < K; ++k)
          if (outlier[size_t(k)]) o += a[m * K + k] * (float(cb[n * K + k]) * s[n] * 7.874015718698502e-3f);
        v += o;
      }
      py[m * N + n] = v;
    }
  // the scaled product is rounded to the input's dtype before the outliers are added in Python; for
  // float32 inputs (the case this library computes in) that is the same
  return y.view(osh).to(in_dt);
}

}  // namespace

Tensor linear_bnb(const Tensor& x, const Tensor& weight, const BnbWeightState& st, const Tensor& bias) {
  if (st.q4) return linear_4bit(x, weight, *st.q4, bias);
  if (st.q8) return linear_int8(x, weight, *st.q8, bias);
  throw ValueError("linear: the weight's bitsandbytes state holds no quantization");
}

}  // namespace transformers::ops::detail
