// Rotary position embedding (HF Llama convention). float32 contiguous inputs take a fused loop with
// the same operation order as the composed ops, so both give identical bits; the rest compose ops.
#include "transformers/ops/rotary.hpp"

#include <vector>

#include "ops/cpu/common.hpp"
#include "ops/cpu/kernels.hpp"
#include "ops/cpu/half_ops.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/indexing.hpp"

namespace transformers::ops::cpu {

Tensor rotate_half(const Tensor& x) {
  detail::check_defined(x, "rotate_half", "input");
  const int64_t d = x.size(-1);
  if (d % 2) throw ShapeError("rotate_half: the last dim must be even, found " + shape_str(x.sizes()));
  const Tensor x1 = x.narrow(-1, 0, d / 2), x2 = x.narrow(-1, d / 2, d / 2);
  return cat({neg(x2), x1}, -1);
}

Tensor apply_rotary_pos_emb(const Tensor& x, const Tensor& cos, const Tensor& sin) {
  // Arguments checked by the front end (ops/rotary.cpp).
  const Tensor c = cos.dim() == 3 ? cos.unsqueeze(1) : cos;  // [B,1,S,D] (or [S,D] broadcast)
  const Tensor s = sin.dim() == 3 ? sin.unsqueeze(1) : sin;
  const int64_t B = x.size(0), H = x.size(1), S = x.size(2), D = x.size(3);
  if (x.dtype() == DType::Float32 && cos.dtype() == DType::Float32 && sin.dtype() == DType::Float32) {
    const Tensor xc = x.contiguous();
    const Tensor ce = c.expand({B, 1, S, D}), se = s.expand({B, 1, S, D});
    Tensor out = Tensor::empty(x.sizes(), DType::Float32);
    const float* px = xc.data<float>();
    float* po = out.data<float>();
    const float* pc = static_cast<const float*>(ce.data_ptr());
    const float* ps = static_cast<const float*>(se.data_ptr());
    const int64_t cb = ce.stride(0), cs = ce.stride(2), cd = ce.stride(3);
    const int64_t sb = se.stride(0), ss = se.stride(2), sd = se.stride(3);
    const int64_t h2 = D / 2;
    parallel_for(0, B * H * S, std::max<int64_t>(1, 4096 / std::max<int64_t>(D, 1)), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t b = r / (H * S), si = r % S;
        const float* xr = px + r * D;
        float* o = po + r * D;
        const float* cr = pc + b * cb + si * cs;
        const float* sr = ps + b * sb + si * ss;
        for (int64_t j = 0; j < h2; ++j) {
          o[j] = xr[j] * cr[j * cd] + (-xr[j + h2]) * sr[j * sd];
          o[j + h2] = xr[j + h2] * cr[(j + h2) * cd] + xr[j] * sr[(j + h2) * sd];
        }
      }
    });
    return out;
  }
  const DType dt = x.dtype();
  if ((dt == DType::BFloat16 || dt == DType::Float16) && cos.dtype() == dt && sin.dtype() == dt) {
    // 16-bit: the composed ops round after each step (x*cos, rotate_half(x)*sin, their sum); this
    // loop rounds at the same three places, one row at a time in float32 scratch.
    const Tensor xc = x.contiguous();
    const Tensor ce = c.expand({B, 1, S, D}), se = s.expand({B, 1, S, D});
    Tensor out = Tensor::empty(x.sizes(), dt);
    const uint16_t* px = static_cast<const uint16_t*>(xc.data_ptr());
    uint16_t* po = static_cast<uint16_t*>(out.data_ptr());
    const uint16_t* pc = static_cast<const uint16_t*>(ce.data_ptr());
    const uint16_t* ps = static_cast<const uint16_t*>(se.data_ptr());
    const int64_t cb = ce.stride(0), cs = ce.stride(2), cd = ce.stride(3);
    const int64_t sb = se.stride(0), ss = se.stride(2), sd = se.stride(3);
    const int64_t h2 = D / 2;
    parallel_for(0, B * H * S, std::max<int64_t>(1, 4096 / std::max<int64_t>(D, 1)), [&](int64_t r0, int64_t r1) {
      std::vector<float> buf(static_cast<size_t>(5 * D));
      float *xr = buf.data(), *cr = xr + D, *sr = cr + D, *t1 = sr + D, *t2 = t1 + D;
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t b = r / (H * S), si = r % S;
        detail::half_to_float(px + r * D, dt, xr, D);
        const uint16_t* crow = pc + b * cb + si * cs;
        const uint16_t* srow = ps + b * sb + si * ss;
        if (cd == 1 && sd == 1) {
          detail::half_to_float(crow, dt, cr, D);
          detail::half_to_float(srow, dt, sr, D);
        } else {
          for (int64_t j = 0; j < D; ++j) {
            detail::half_to_float(crow + j * cd, dt, cr + j, 1);
            detail::half_to_float(srow + j * sd, dt, sr + j, 1);
          }
        }
        for (int64_t j = 0; j < D; ++j) t1[j] = xr[j] * cr[j];
        for (int64_t j = 0; j < h2; ++j) {
          t2[j] = (-xr[j + h2]) * sr[j];
          t2[j + h2] = xr[j] * sr[j + h2];
        }
        detail::round_to_half(t1, dt, D);
        detail::round_to_half(t2, dt, D);
        for (int64_t j = 0; j < D; ++j) t1[j] += t2[j];
        detail::float_to_half(t1, dt, po + r * D, D);
      }
    });
    return out;
  }
  return add(mul(x, c), mul(rotate_half(x), s));
}

}  // namespace transformers::ops::cpu
