// Rotary position embedding (HF Llama convention). float32 contiguous inputs take a fused loop with
// the same operation order as the composed ops, so both give identical bits; the rest compose ops.
#include "transformers/ops/rotary.hpp"

#include "ops/cpu/common.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/indexing.hpp"

namespace transformers::ops {

Tensor rotate_half(const Tensor& x) {
  detail::check_defined(x, "rotate_half", "input");
  const int64_t d = x.size(-1);
  if (d % 2) throw ShapeError("rotate_half: the last dim must be even, found " + shape_str(x.sizes()));
  const Tensor x1 = x.narrow(-1, 0, d / 2), x2 = x.narrow(-1, d / 2, d / 2);
  return cat({neg(x2), x1}, -1);
}

Tensor apply_rotary_pos_emb(const Tensor& x, const Tensor& cos, const Tensor& sin) {
  detail::check_defined(x, "apply_rotary_pos_emb", "x");
  detail::check_defined(cos, "apply_rotary_pos_emb", "cos");
  detail::check_defined(sin, "apply_rotary_pos_emb", "sin");
  if (x.dim() != 4) throw ShapeError("apply_rotary_pos_emb: x must be [B,H,S,D], found " + shape_str(x.sizes()));
  if (cos.sizes() != sin.sizes())
    throw ShapeError("apply_rotary_pos_emb: cos " + shape_str(cos.sizes()) + " and sin " + shape_str(sin.sizes()) + " differ");
  const Tensor c = cos.dim() == 3 ? cos.unsqueeze(1) : cos;  // [B,1,S,D] (or [S,D] broadcast)
  const Tensor s = sin.dim() == 3 ? sin.unsqueeze(1) : sin;
  const int64_t B = x.size(0), H = x.size(1), S = x.size(2), D = x.size(3);
  const Shape full = broadcast_shapes(x.sizes(), c.sizes());
  if (full != x.sizes())
    throw ShapeError("apply_rotary_pos_emb: cos/sin " + shape_str(cos.sizes()) + " do not broadcast to x " + shape_str(x.sizes()));
  if (D % 2) throw ShapeError("apply_rotary_pos_emb: head dim must be even, found " + std::to_string(D));
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
  return add(mul(x, c), mul(rotate_half(x), s));
}

}  // namespace transformers::ops
