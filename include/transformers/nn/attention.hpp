#pragma once
// The attention core every model shares, Hugging Face's ALL_ATTENTION_FUNCTIONS: "eager" (scores
// and probabilities materialised, needed for output_attentions and head_mask) or "sdpa" (the fused
// streaming kernel of ops/attention.hpp). The implementation is an enum a model picks once when it
// is built (modeling/attn_implementation.hpp checks config._attn_implementation as 4.51 does), so
// no forward compares strings. Projections, rotary embeddings and caching stay in each model's
// attention module, as in Python.
#include <optional>
#include <string>

#include "transformers/core/tensor.hpp"

namespace transformers::nn {

// config._attn_implementation values this library runs.
enum class AttentionImplementation { eager, sdpa };

// "eager" / "sdpa".
const char* attention_implementation_name(AttentionImplementation implementation);
// "eager" -> eager, "sdpa" -> sdpa; anything else is a ValueError naming the valid values (the
// model-level check in modeling/attn_implementation.hpp gives 4.51's messages first).
AttentionImplementation parse_attention_implementation(const std::string& name);

struct AttentionOptions {
  AttentionImplementation implementation = AttentionImplementation::sdpa;
  // Additive float mask (0 attend, dtype min masked) broadcastable to [B, H, Q, K]; may be undefined.
  Tensor attention_mask;
  // With no mask and Q > 1: causal, top-left aligned (torch's is_causal).
  bool is_causal = false;
  // Multiplies q k^T; default 1/sqrt(head_dim).
  std::optional<double> scaling;
  // This layer's head mask ([H], [1, H, 1, 1] or broadcastable to [B, H, Q, K]); forces eager.
  Tensor head_mask;
  // Return the probabilities; forces eager (Python warns once and falls back).
  bool output_attentions = false;
  // GPT-2 reorder_and_upcast_attn: scores and softmax in float32 whatever q/k are.
  bool upcast = false;
  // Gemma 2's attention logit soft-capping: scores -> tanh(scores / softcap) * softcap before the
  // mask. Always computed the eager way (scores materialised); 4.51 applies it on its eager path
  // only, so models set it only when uses_eager_attention() holds.
  std::optional<double> softcap;
  // Dropout on the probabilities (the module's attention_dropout p in training, else 0).
  double dropout = 0.0;
};

struct AttentionOutput {
  Tensor attn_output;   // [B, H, Q, Dv] (callers transpose to [B, Q, H, Dv] as Python does)
  Tensor attn_weights;  // [B, H, Q, K] on the eager path, undefined on sdpa
};

// q [B, H, Q, D]; k, v [B, Hkv, K, D] with Hkv dividing H (grouped-query attention).
AttentionOutput attention_forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                  const AttentionOptions& options);

// Python's repeat_kv: [B, Hkv, K, D] -> [B, Hkv * n_rep, K, D] (head h uses kv head h / n_rep).
Tensor repeat_kv(const Tensor& x, int64_t n_rep);

// Whether a call with these options takes the eager path.
// (sdpa falls back to eager for output_attentions / head_mask, as Python does.)
bool uses_eager_attention(AttentionImplementation implementation, bool output_attentions, bool has_head_mask);

}  // namespace transformers::nn
