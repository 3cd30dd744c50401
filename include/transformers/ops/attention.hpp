#pragma once
// Attention. `scaled_dot_product_attention` follows torch.nn.functional.scaled_dot_product_attention
// and runs a fused streaming-softmax kernel: it walks Lk in blocks keeping a running max and sum per
// query row, so the Lq x Lk matrix is never materialised. 16-bit inputs accumulate in float32.
// When autograd records (q / k / v require grad under grad mode) it records one memory-efficient
// node (per-row logsumexp; the backward recomputes the probabilities per query block); with
// dropout_p > 0 or a mask that requires grad it runs as recorded matmul / softmax ops (torch's math
// backend), which materialise the scores.
#include <optional>
#include <utility>

#include "transformers/core/tensor.hpp"

namespace transformers::ops {

struct SdpaOptions {
  // Bool (true = attend) or additive float, broadcastable to [B, H, Lq, Lk]. May be undefined.
  Tensor attn_mask;
  // Causal mask aligned top-left (query i sees keys j <= i), as torch does; not combinable with
  // attn_mask (ValueError, like torch).
  bool is_causal = false;
  // Default 1/sqrt(D).
  std::optional<double> scale;
  // k/v may have Hkv heads dividing H: query head h uses kv head h / (H / Hkv).
  bool enable_gqa = false;
  // Dropout on the attention probabilities (torch's dropout_p; HF passes it only in training),
  // drawn from the default generator.
  double dropout_p = 0.0;
};

// q [B,H,Lq,D], k [B,Hkv,Lk,D], v [B,Hkv,Lk,Dv] -> [B,H,Lq,Dv] in q's dtype.
// A query row whose keys are all masked out (false / -inf everywhere) gives zeros, as torch 2.x's CPU
// kernels do (checked against torch 2.15), not the NaN a plain softmax would give.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const SdpaOptions& opts = {});

// The eager path of HF models: probs = softmax(q k^T * scale + mask) in float32, cast to q's dtype,
// dropped out with dropout_p (the default generator; 0 = none), multiplied by head_mask ([H] or
// broadcastable to [B,H,Lq,Lk]) when defined, out = probs @ v.
// mask: additive float or bool (true = attend), broadcastable to [B,H,Lq,Lk]; may be undefined.
// Returns (out [B,H,Lq,Dv], probs [B,H,Lq,Lk]). k/v heads must equal q's (repeat them first).
std::pair<Tensor, Tensor> eager_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                          std::optional<double> scale = std::nullopt,
                                          const Tensor& head_mask = Tensor(), double dropout_p = 0.0);

}  // namespace transformers::ops
