#pragma once
// The float64 reference of torch's scaled_dot_product_attention math shared by the attention tests
// (the fused tiles, eager attention, and the decode path over a 16-bit cache), and its tolerances.
#include <cmath>
#include <vector>

#include "op_test_util.hpp"
#include "transformers/ops/elementwise.hpp"

namespace optest {

// Double reference of torch's SDPA math (fully masked rows -> 0 like torch's CPU kernels).
inline Ref ref_sdpa(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, bool causal, double scale,
                    Ref* probs_out = nullptr) {
  const int64_t B = q.size(0), H = q.size(1), Lq = q.size(2), D = q.size(3), Hkv = k.size(1), Lk = k.size(2), Dv = v.size(3);
  const Ref rq = Ref::of(q), rk = Ref::of(k), rv = Ref::of(v);
  Ref rm;
  if (mask.defined()) rm = Ref::of(mask.dtype() == DType::Bool ? transformers::ops::where(mask, Tensor::scalar(0.0, DType::Float64), Tensor::scalar(-INFINITY, DType::Float64)) : mask);
  Ref out(Shape{B, H, Lq, Dv});
  if (probs_out) *probs_out = Ref(Shape{B, H, Lq, Lk});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t hk = h / (H / Hkv);
      for (int64_t i = 0; i < Lq; ++i) {
        std::vector<double> s(static_cast<size_t>(Lk));
        double m = -INFINITY;
        for (int64_t j = 0; j < Lk; ++j) {
          double acc = 0;
          for (int64_t d = 0; d < D; ++d) acc += rq.v[size_t(((b * H + h) * Lq + i) * D + d)] * rk.v[size_t(((b * Hkv + hk) * Lk + j) * D + d)];
          acc *= scale;
          if (mask.defined()) acc += rm.bcast({b, h, i, j});
          if (causal && j > i) acc = -INFINITY;
          s[size_t(j)] = acc;
          m = std::max(m, acc);
        }
        double z = 0;
        for (auto& x : s) z += (x = (m == -INFINITY ? 0.0 : std::exp(x - m)));
        for (int64_t j = 0; j < Lk; ++j)
          if (probs_out) probs_out->v[size_t(((b * H + h) * Lq + i) * Lk + j)] = z > 0 ? s[size_t(j)] / z : NAN;
        for (int64_t d = 0; d < Dv; ++d) {
          double acc = 0;
          for (int64_t j = 0; j < Lk; ++j) acc += s[size_t(j)] * rv.v[size_t(((b * Hkv + hk) * Lk + j) * Dv + d)];
          out.v[size_t(((b * H + h) * Lq + i) * Dv + d)] = z > 0 ? acc / z : 0.0;
        }
      }
    }
  return out;
}

inline Tol attn_tol(DType dt) {
  Tol t = tol_for(dt);
  if (dt == DType::Float32) t = {1e-4, 2e-5};  // float32 exp approximation and summation order
  return t;
}

}  // namespace optest
