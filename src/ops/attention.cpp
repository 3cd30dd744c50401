// Front end of the attention ops: the argument checks every backend relies on, dispatch of the
// fused scaled_dot_product_attention, and eager_attention, which is a composition of other ops
// (so each backend runs it with its own matmul / softmax, and autograd will see those ops).
#include "transformers/ops/attention.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "ops/autograd/attention.hpp"
#include "ops/cpu/ab_switch.hpp"
#include "ops/dispatch.hpp"
#include "transformers/ops/autocast.hpp"
#include "transformers/core/autograd.hpp"
#include "transformers/ops/dropout.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/matmul.hpp"
#include "transformers/ops/softmax.hpp"

namespace transformers::ops {

namespace {

void check_qkv(const Tensor& q, const Tensor& k, const Tensor& v, const char* op, bool gqa_ok) {
  detail::check_defined(q, op, "query");
  detail::check_defined(k, op, "key");
  detail::check_defined(v, op, "value");
  if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4)
    throw ShapeError(std::string(op) + ": expected 4-D query/key/value [B,H,L,D], found " + shape_str(q.sizes()) + ", " +
                     shape_str(k.sizes()) + ", " + shape_str(v.sizes()));
  detail::check_float_dtype(q, op);
  if (k.dtype() != q.dtype() || v.dtype() != q.dtype())
    throw ValueError(std::string(op) + ": expected query, key and value to share a dtype, found " +
                     std::string(dtype_name(q.dtype())) + ", " + std::string(dtype_name(k.dtype())) + ", " +
                     std::string(dtype_name(v.dtype())));
  if (k.size(0) != q.size(0) || v.size(0) != q.size(0) || k.size(1) != v.size(1) || k.size(2) != v.size(2) ||
      k.size(3) != q.size(3))
    throw ShapeError(std::string(op) + ": incompatible shapes query " + shape_str(q.sizes()) + ", key " +
                     shape_str(k.sizes()) + ", value " + shape_str(v.sizes()));
  const int64_t H = q.size(1), Hkv = k.size(1);
  if (H != Hkv) {
    if (!gqa_ok)
      throw ShapeError(std::string(op) + ": query has " + std::to_string(H) + " heads but key/value have " +
                       std::to_string(Hkv) + " (set enable_gqa, or repeat the kv heads)");
    if (Hkv == 0 || H % Hkv)
      throw ShapeError(std::string(op) + ": query heads " + std::to_string(H) + " must be a multiple of kv heads " +
                       std::to_string(Hkv));
  }
}

}  // namespace

// scaled_dot_product_attention written with recorded ops (torch's math backend), for training:
// autograd differentiates each part, at the cost of the Lq x Lk probabilities. The path for
// attention dropout and for a mask that requires grad; the reference the efficient path is tested on.
Tensor sdpa_composed(const Tensor& q, const Tensor& k, const Tensor& v, const SdpaOptions& o) {
  const int64_t B = q.size(0), H = q.size(1), Lq = q.size(2), Hkv = k.size(1), Lk = k.size(2);
  Tensor kk = k, vv = v;
  if (Hkv != H) {  // enable_gqa: query head h reads kv head h / (H / Hkv)
    const int64_t rep = H / Hkv;
    kk = k.unsqueeze(2).expand({B, Hkv, rep, Lk, k.size(3)}).reshape({B, H, Lk, k.size(3)});
    vv = v.unsqueeze(2).expand({B, Hkv, rep, Lk, v.size(3)}).reshape({B, H, Lk, v.size(3)});
  }
  const double scale = o.scale ? *o.scale : 1.0 / std::sqrt(double(q.size(3)));
  Tensor scores = mul(matmul(q, kk.transpose(2, 3)), scale);
  Tensor mask = o.attn_mask;
  if (o.is_causal) {  // top-left aligned: query i sees keys j <= i
    std::vector<uint8_t> keep(size_t(Lq * Lk));
    for (int64_t i = 0; i < Lq; ++i)
      for (int64_t j = 0; j < Lk; ++j) keep[size_t(i * Lk + j)] = j <= i;
    mask = Tensor::from_vector(std::vector<bool>(keep.begin(), keep.end()), {Lq, Lk});
  }
  if (mask.defined()) {
    if (mask.dtype() == DType::Bool)
      scores = masked_fill(scores, logical_not(mask).expand(scores.sizes()), -std::numeric_limits<double>::infinity());
    else
      scores = add(scores, mask);
  }
  const DType soft = q.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
  Tensor probs = softmax(scores, -1, soft).to(q.dtype());
  if (o.dropout_p > 0) probs = dropout(probs, o.dropout_p, /*training=*/true);
  return matmul(probs, vv);
}

// TRANSFORMERS_SDPA_EFFICIENT_BWD=0 records the composed ops instead (A/B memory figures).
bool efficient_bwd_disabled() {
  static const bool off = detail::ab_switch_off("TRANSFORMERS_SDPA_EFFICIENT_BWD");
  return off;
}

Tensor scaled_dot_product_attention(const Tensor& q0, const Tensor& k0, const Tensor& v0, const SdpaOptions& opts0) {
  // on autocast's lower-precision list (autocast.hpp): q, k, v and a float mask in its dtype
  const Tensor q = autocast_lower(q0), k = autocast_lower(k0), v = autocast_lower(v0);
  SdpaOptions opts = opts0;
  if (opts.attn_mask.defined() && opts.attn_mask.is_floating_point()) opts.attn_mask = autocast_lower(opts.attn_mask);
  const char* op = "scaled_dot_product_attention";
  check_qkv(q, k, v, op, opts.enable_gqa);
  if (opts.is_causal && opts.attn_mask.defined())
    throw ValueError(std::string(op) + ": explicit attn_mask should not be set when is_causal=True");
  if (const Tensor& m = opts.attn_mask; m.defined()) {
    if (m.dtype() != DType::Bool && !m.is_floating_point())
      throw ValueError(std::string(op) + ": attn_mask must be bool or floating point, found " +
                       std::string(dtype_name(m.dtype())));
    const Shape shape{q.size(0), q.size(1), q.size(2), k.size(2)};
    if (broadcast_shapes(m.sizes(), shape) != shape)
      throw ShapeError(std::string(op) + ": attn_mask of shape " + shape_str(m.sizes()) + " does not broadcast to " +
                       shape_str(shape));
  }
  // Training: dropout, or a mask that itself wants a gradient, takes the composed ops; otherwise
  // the memory-efficient node (ops/autograd/attention.cpp). Under gradient checkpointing's
  // no-grad forward (mirrors_recording) the same forward runs, so the recomputation is bit-equal.
  const bool training = autograd::needs_record({&q, &k, &v}) || autograd::mirrors_recording();
  const bool empty = q.numel() == 0 || k.size(2) == 0;
  if (opts.dropout_p > 0 || autograd::needs_record({&opts.attn_mask}) ||
      (training && (empty || efficient_bwd_disabled())))
    return sdpa_composed(q, k, v, opts);
  if (training) return grad::sdpa_memory_efficient(q, k, v, opts);
  return dispatch<OpId::scaled_dot_product_attention>(dispatch_device(op, {&q, &k, &v, &opts.attn_mask}), q.dtype(),
                                                      q, k, v, opts);
}

std::pair<Tensor, Tensor> eager_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                          std::optional<double> scale, const Tensor& head_mask, double dropout_p) {
  const char* op = "eager_attention";
  check_qkv(q, k, v, op, false);
  const double sc = scale ? *scale : 1.0 / std::sqrt(double(q.size(3)));
  Tensor scores = mul(matmul(q, k.transpose(2, 3)), sc);
  if (mask.defined()) {
    const Shape shape = scores.sizes();
    if (mask.dtype() == DType::Bool) {
      scores = masked_fill(scores, logical_not(mask).expand(shape), -std::numeric_limits<double>::infinity());
    } else {
      if (broadcast_shapes(mask.sizes(), shape) != shape)
        throw ShapeError(std::string(op) + ": mask of shape " + shape_str(mask.sizes()) + " does not broadcast to " +
                         shape_str(shape));
      scores = add(scores, mask);
    }
  }
  // HF casts to float32 for the softmax (float64 stays float64)
  Tensor probs = softmax(scores, -1, q.dtype() == DType::Float64 ? DType::Float64 : DType::Float32).to(q.dtype());
  probs = dropout(probs, dropout_p, /*training=*/true);
  if (head_mask.defined()) {
    const Tensor hm = head_mask.dim() == 1 ? head_mask.view({1, -1, 1, 1}) : head_mask;
    probs = mul(probs, hm);
  }
  Tensor out = matmul(probs, v);
  return {out, probs};
}

}  // namespace transformers::ops
