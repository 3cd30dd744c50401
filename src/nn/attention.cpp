#include "transformers/nn/attention.hpp"

#include <cmath>
#include <cstdio>
#include <mutex>

#include "transformers/core/logging.hpp"
#include "transformers/nn/attention_mask.hpp"
#include "transformers/nn/soft_cap.hpp"
#include "transformers/ops/attention.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/matmul.hpp"
#include "transformers/ops/softmax.hpp"

namespace transformers::nn {

Tensor repeat_kv(const Tensor& x, int64_t n_rep) {
  if (n_rep == 1) return x;
  const int64_t b = x.size(0), h = x.size(1), s = x.size(2), d = x.size(3);
  return x.unsqueeze(2).expand({b, h, n_rep, s, d}).reshape({b, h * n_rep, s, d});
}

const char* attention_implementation_name(AttentionImplementation impl) {
  return impl == AttentionImplementation::eager ? "eager" : "sdpa";
}

AttentionImplementation parse_attention_implementation(const std::string& name) {
  if (name == "eager") return AttentionImplementation::eager;
  if (name == "sdpa") return AttentionImplementation::sdpa;
  throw ValueError("attn_implementation: expected \"eager\" or \"sdpa\", found \"" + name + "\"");
}

bool uses_eager_attention(AttentionImplementation impl, bool output_attentions, bool has_head_mask) {
  return impl == AttentionImplementation::eager || output_attentions || has_head_mask;
}

namespace {
void warn_sdpa_fallback_once() {
  static const logging::Logger logger = logging::get_logger("transformers.nn.attention");
  logger.warning_once(
      "scaled_dot_product_attention does not support output_attentions=True or head_mask. "
      "Falling back to eager attention. Load the model with attn_implementation=\"eager\" to remove "
      "this warning.");
}

// A top-left causal additive mask [Q, K] (torch's is_causal convention) for the eager path.
Tensor top_left_causal(int64_t q, int64_t k, DType dtype, double mn) {
  std::vector<double> v(size_t(q * k));
  for (int64_t i = 0; i < q; ++i)
    for (int64_t j = 0; j < k; ++j) v[size_t(i * k + j)] = j <= i ? 0.0 : mn;
  return Tensor::from_vector(v, {q, k}).to(dtype);
}

// Gemma 2's eager_attention_forward: scores = q k^T * scale, capped by tanh, plus the mask; softmax
// in float32 cast back to q's dtype; probs @ v. Composed from ops so each step rounds as torch's.
AttentionOutput softcapped_attention(const Tensor& q, const Tensor& k, const Tensor& v, Tensor mask, double scale,
                                     double cap, const AttentionOptions& o) {
  const int64_t h = q.size(1), hkv = k.size(1);
  if (!mask.defined() && o.is_causal && q.size(2) > 1)
    mask = top_left_causal(q.size(2), k.size(2), q.dtype(), dtype_min(q.dtype()));
  const Tensor kk = repeat_kv(k, h / hkv), vv = repeat_kv(v, h / hkv);
  Tensor scores = ops::mul(ops::matmul(q, kk.transpose(2, 3)), scale);
  scores = soft_cap(scores, cap);
  if (mask.defined()) scores = ops::add(scores, mask);
  Tensor probs = ops::softmax(scores, -1, DType::Float32).to(q.dtype());
  if (o.head_mask.defined()) probs = ops::mul(probs, o.head_mask);
  return {ops::matmul(probs, vv), probs};
}
}  // namespace

AttentionOutput attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& o) {
  if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4)
    throw ShapeError("attention: expected 4-D [batch, heads, seq, head_dim] q/k/v, found " + shape_str(q.sizes()) +
                     ", " + shape_str(k.sizes()) + ", " + shape_str(v.sizes()));
  const int64_t h = q.size(1), hkv = k.size(1);
  if (hkv == 0 || h % hkv != 0)
    throw ShapeError("attention: query heads (" + std::to_string(h) + ") must be a multiple of key/value heads (" +
                     std::to_string(hkv) + ")");
  const double scale = o.scaling ? *o.scaling : 1.0 / std::sqrt(double(q.size(3)));
  const bool eager = uses_eager_attention(o.implementation, o.output_attentions, o.head_mask.defined());
  if (eager && o.implementation != AttentionImplementation::eager) warn_sdpa_fallback_once();

  Tensor mask = o.attention_mask;
  if (o.softcap) return softcapped_attention(q, k, v, mask, scale, *o.softcap, o);
  if (!eager) {
    ops::SdpaOptions so;
    so.attn_mask = mask;
    so.is_causal = !mask.defined() && o.is_causal && q.size(2) > 1;
    so.scale = scale;
    so.enable_gqa = hkv != h;
    so.dropout_p = o.dropout;
    return {ops::scaled_dot_product_attention(q, k, v, so), Tensor()};
  }

  if (!mask.defined() && o.is_causal && q.size(2) > 1) {
    const DType mdt = o.upcast ? DType::Float32 : q.dtype();
    mask = top_left_causal(q.size(2), k.size(2), mdt, dtype_min(mdt));
  }
  Tensor kk = repeat_kv(k, h / hkv), vv = repeat_kv(v, h / hkv);
  if (o.upcast && q.dtype() != DType::Float32) {
    // Scores, softmax and the weighted sum in float32; probabilities and output back in v's dtype.
    auto [out, probs] = ops::eager_attention(q.to(DType::Float32), kk.to(DType::Float32), vv.to(DType::Float32),
                                             mask, scale, o.head_mask, o.dropout);
    return {out.to(v.dtype()), probs.to(v.dtype())};
  }
  auto [out, probs] = ops::eager_attention(q, kk, vv, mask, scale, o.head_mask, o.dropout);
  return {out, probs};
}

}  // namespace transformers::nn
