// Reference attention: one score row at a time in float64 (softmax with the row maximum
// subtracted; a fully masked row gives zeros, as torch's CPU kernels do), and the rotary embedding
// as the composition HF writes (x * cos + rotate_half(x) * sin) on this backend.
#include <cmath>
#include <limits>
#include <vector>

#include "ops/reference/kernels.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/rotary.hpp"

namespace transformers::ops::reference {

// Arguments checked by the front end (ops/attention.cpp).
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const SdpaOptions& opts) {
  return scaled_dot_product_attention_on(Device::Reference, q, k, v, opts);
}

Tensor scaled_dot_product_attention_on(Device device, const Tensor& q0, const Tensor& k0, const Tensor& v0,
                                       const SdpaOptions& opts) {
  const int64_t B = q0.size(0), H = q0.size(1), Lq = q0.size(2), D = q0.size(3);
  const int64_t Hkv = k0.size(1), Lk = k0.size(2), Dv = v0.size(3), group = Hkv ? H / Hkv : 1;
  const double scale = opts.scale ? *opts.scale : 1.0 / std::sqrt(double(D));
  const bool causal = opts.is_causal;
  const Tensor q = to_f64(q0), k = to_f64(k0), v = to_f64(v0);
  Tensor m;  // additive float64 mask [B,H,Lq,Lk]: bool true -> 0, false -> -inf
  if (const Tensor& am = opts.attn_mask; am.defined()) {
    const Tensor add = am.dtype() == DType::Bool
                           ? where(am, Tensor::scalar(0.0, DType::Float64),
                                   Tensor::scalar(-std::numeric_limits<double>::infinity(), DType::Float64))
                           : am;
    m = to_f64(add.expand({B, H, Lq, Lk}));
  }
  Tensor out = empty_f64({B, H, Lq, Dv}, device);
  out.zero_();
  const double *pq = q.data<double>(), *pk = k.data<double>(), *pv = v.data<double>();
  const double* pm = m.defined() ? m.data<double>() : nullptr;
  double* po = out.data<double>();
  parallel_for(0, B * H, 1, [&](int64_t t0, int64_t t1) {
    std::vector<double> s(static_cast<size_t>(Lk));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t b = t / H, h = t % H, hk = h / group;
      for (int64_t i = 0; i < Lq; ++i) {
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < Lk; ++j) {
          double acc = 0;
          for (int64_t d = 0; d < D; ++d) acc += pq[((b * H + h) * Lq + i) * D + d] * pk[((b * Hkv + hk) * Lk + j) * D + d];
          acc *= scale;
          if (pm) acc += pm[((b * H + h) * Lq + i) * Lk + j];
          if (causal && j > i) acc = -std::numeric_limits<double>::infinity();
          s[size_t(j)] = acc;
          if (acc > mx || std::isnan(acc)) mx = acc;
        }
        if (mx == -std::numeric_limits<double>::infinity()) continue;  // fully masked: zeros
        double z = 0;
        for (auto& x : s) z += (x = std::exp(x - mx));
        double* o = po + ((b * H + h) * Lq + i) * Dv;
        for (int64_t j = 0; j < Lk; ++j)
          for (int64_t d = 0; d < Dv; ++d) o[d] += s[size_t(j)] / z * pv[((b * Hkv + hk) * Lk + j) * Dv + d];
      }
    }
  });
  return out.to(q0.dtype());
}

Tensor apply_rotary_pos_emb(const Tensor& x, const Tensor& cos, const Tensor& sin) {
  // The parts run here too, whatever device cos/sin were computed on.
  DeviceGuard on_reference(Device::Reference);
  const Tensor c = cos.dim() == 3 ? cos.unsqueeze(1) : cos;  // [B,1,S,D] (or [S,D] broadcast)
  const Tensor s = sin.dim() == 3 ? sin.unsqueeze(1) : sin;
  return add(mul(x, c), mul(rotate_half(x), s));
}

}  // namespace transformers::ops::reference
