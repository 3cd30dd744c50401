// Front end of the rotary position embedding.
#include "transformers/ops/rotary.hpp"

#include "ops/dispatch.hpp"

namespace transformers::ops {

Tensor rotate_half(const Tensor& x) { return dispatch_on_input<OpId::rotate_half>(x); }
Tensor apply_rotary_pos_emb(const Tensor& x, const Tensor& cos, const Tensor& sin) {
  const DType dt = key_dtype(x, "apply_rotary_pos_emb", "x");
  detail::check_defined(cos, "apply_rotary_pos_emb", "cos");
  detail::check_defined(sin, "apply_rotary_pos_emb", "sin");
  if (x.dim() != 4) throw ShapeError("apply_rotary_pos_emb: x must be [B,H,S,D], found " + shape_str(x.sizes()));
  if (cos.sizes() != sin.sizes())
    throw ShapeError("apply_rotary_pos_emb: cos " + shape_str(cos.sizes()) + " and sin " + shape_str(sin.sizes()) + " differ");
  const Shape c = cos.dim() == 3 ? Shape{cos.size(0), 1, cos.size(1), cos.size(2)} : cos.sizes();
  if (broadcast_shapes(x.sizes(), c) != x.sizes())
    throw ShapeError("apply_rotary_pos_emb: cos/sin " + shape_str(cos.sizes()) + " do not broadcast to x " + shape_str(x.sizes()));
  if (x.size(3) % 2) throw ShapeError("apply_rotary_pos_emb: head dim must be even, found " + std::to_string(x.size(3)));
  return dispatch<OpId::apply_rotary_pos_emb>(dispatch_device("apply_rotary_pos_emb", {&x, &cos, &sin}), dt, x, cos,
                                              sin);
}

}  // namespace transformers::ops
