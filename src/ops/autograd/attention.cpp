// Memory-efficient scaled_dot_product_attention for training (torch's efficient-attention idea):
// the forward walks query blocks and keeps each row's logsumexp; the one recorded node's backward
// recomputes that block's probabilities from it, P = exp(S - lse), instead of keeping the
// B x H x Lq x Lk probabilities (and scores) the composed matmul / softmax / matmul path records
// per layer. Each block is batched over (batch, head) and runs on the ops' matmul / element-wise
// kernels, so it holds B x H x kSdpaBlockRows x Lk scores at a time.
#include "ops/autograd/attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "ops/autograd/grad_utils.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/matmul.hpp"
#include "transformers/ops/reduce.hpp"

namespace transformers::ops::grad {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// What the forward and the backward both read, in the compute dtype (float64 stays float64,
// float32 / bfloat16 / float16 compute in float32 as torch does under autocast).
struct Attn {
  Tensor q, k, v;  // [B,H,Lq,D], [B,H,Lk,D], [B,H,Lk,Dv] (kv heads repeated for GQA)
  Tensor mask;     // additive [B,H,Lq,Lk] broadcast view, or undefined
  bool causal = false;
  double scale = 1.0;
  int64_t Hkv = 0;
};

// [B, Hkv, L, D] -> [B, H, L, D]: query head h reads kv head h / (H / Hkv).
Tensor repeat_kv(const Tensor& t, int64_t H) {
  const int64_t B = t.size(0), Hkv = t.size(1), L = t.size(2), D = t.size(3);
  if (Hkv == H) return t;
  return t.unsqueeze(2).expand({B, Hkv, H / Hkv, L, D}).reshape({B, H, L, D});
}

// Scaled, masked scores of query rows [i0, i0 + n) against every key: [B, H, n, Lk].
Tensor block_scores(const Attn& a, int64_t i0, int64_t n) {
  Tensor s = mul(matmul(a.q.narrow(2, i0, n), a.k.transpose(2, 3)), a.scale);
  if (a.mask.defined()) s = add(s, a.mask.narrow(2, i0, n));
  if (a.causal) {  // top-left aligned: query i sees keys j <= i
    const int64_t Lk = a.k.size(2);
    std::vector<bool> drop(size_t(n * Lk));
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < Lk; ++j) drop[size_t(r * Lk + j)] = j > i0 + r;
    s = masked_fill(s, Tensor::from_vector(drop, {n, Lk}).expand(s.sizes()), -kInf);
  }
  return s;
}

// Output [B,H,Lq,Dv] and per-row logsumexp [B,H,Lq,1]. A row whose keys are all masked gives zeros
// (as the fused kernel does) and lse = +inf, so its recomputed probabilities exp(S - lse) are 0.
std::pair<Tensor, Tensor> forward(const Attn& a) {
  const int64_t B = a.q.size(0), H = a.q.size(1), Lq = a.q.size(2), Dv = a.v.size(3);
  const DType dt = a.q.dtype();
  const Device dev = a.q.device();
  Tensor out = Tensor::empty({B, H, Lq, Dv}, dt, dev), lse = Tensor::empty({B, H, Lq, 1}, dt, dev);
  const Tensor zero = Tensor::scalar(0.0, dt), one = Tensor::scalar(1.0, dt), inf = Tensor::scalar(kInf, dt);
  for (int64_t i0 = 0; i0 < Lq; i0 += kSdpaBlockRows) {
    const int64_t n = std::min(kSdpaBlockRows, Lq - i0);
    const Tensor s = block_scores(a, i0, n);
    Tensor mx = amax(s, -1, /*keepdim=*/true);
    mx = where(eq(mx, -kInf), zero, mx);
    const Tensor p = exp(sub(s, mx));
    const Tensor l = sum(p, {-1}, /*keepdim=*/true), empty_row = eq(l, 0.0);
    out.narrow(2, i0, n).copy_(div(matmul(p, a.v), where(empty_row, one, l)));
    lse.narrow(2, i0, n).copy_(where(empty_row, inf, add(mx, log(l))));
  }
  return {out, lse};
}

}  // namespace

Tensor sdpa_memory_efficient(const Tensor& q0, const Tensor& k0, const Tensor& v0, const SdpaOptions& o) {
  const DType dt = q0.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
  const int64_t B = q0.size(0), H = q0.size(1), Lq = q0.size(2), Lk = k0.size(2);
  const auto cast = [&](const Tensor& t) { return t.dtype() == dt ? t.detach() : t.detach().to(dt); };
  Attn a;
  Tensor out, lse;
  {
    autograd::NoGradGuard no_grad;  // the forward's own ops are not recorded: the node below is
    a.q = cast(q0);
    a.k = repeat_kv(cast(k0), H);
    a.v = repeat_kv(cast(v0), H);
    a.Hkv = k0.size(1);
    a.causal = o.is_causal;
    a.scale = o.scale ? *o.scale : 1.0 / std::sqrt(double(q0.size(3)));
    if (const Tensor& m = o.attn_mask; m.defined())
      a.mask = (m.dtype() == DType::Bool ? where(m.detach(), Tensor::scalar(0.0, dt), Tensor::scalar(-kInf, dt))
                                         : cast(m))
                   .expand({B, H, Lq, Lk});
    std::tie(out, lse) = forward(a);
  }
  Tensor result = out.dtype() == q0.dtype() ? out : out.to(q0.dtype());
  out = out.detach();  // the node keeps the output's values, not the result's own node (a cycle)
  const auto need = needs({&q0, &k0, &v0});
  const DType in_dt = q0.dtype();
  autograd::record("ScaledDotProductEfficientAttentionBackward0", result, {&q0, &k0, &v0},
                   [=](const Tensor& g) {
                     const Tensor dout = g.to(dt).contiguous();
                     // D = rowsum(dO * O): the softmax backward's correction term, once for all rows
                     const Tensor dsum = sum(mul(dout, out), {-1}, /*keepdim=*/true);
                     const int64_t D = a.q.size(3), Dv = a.v.size(3);
                     Tensor dq = Tensor::empty({B, H, Lq, D}, dt, g.device());
                     Tensor dk = autograd::zeros_on(g.device(), {B, H, Lk, D}, dt);
                     Tensor dv = autograd::zeros_on(g.device(), {B, H, Lk, Dv}, dt);
                     for (int64_t i0 = 0; i0 < Lq; i0 += kSdpaBlockRows) {
                       const int64_t n = std::min(kSdpaBlockRows, Lq - i0);
                       const Tensor p = exp(sub(block_scores(a, i0, n), lse.narrow(2, i0, n)));
                       const Tensor gb = dout.narrow(2, i0, n);
                       if (need[2]) add_(dv, matmul(p.transpose(2, 3), gb));
                       if (!need[0] && !need[1]) continue;
                       const Tensor dp = matmul(gb, a.v.transpose(2, 3));
                       const Tensor ds = mul(p, sub(dp, dsum.narrow(2, i0, n)));
                       if (need[0]) dq.narrow(2, i0, n).copy_(mul(matmul(ds, a.k), a.scale));
                       if (need[1]) add_(dk, mul(matmul(ds.transpose(2, 3), a.q.narrow(2, i0, n)), a.scale));
                     }
                     // GQA: the query heads sharing a kv head sum into it
                     const auto fold = [&](const Tensor& t) {
                       const Tensor f = a.Hkv == H ? t : sum(t.view({B, a.Hkv, H / a.Hkv, Lk, t.size(3)}), {2});
                       return f.dtype() == in_dt ? f : f.to(in_dt);
                     };
                     return Grads{need[0] ? (in_dt == dt ? dq : dq.to(in_dt)) : Tensor(),
                                  need[1] ? fold(dk) : Tensor(), need[2] ? fold(dv) : Tensor()};
                   });
  return result;
}

}  // namespace transformers::ops::grad
