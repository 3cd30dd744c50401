#pragma once
// The sparse mixture-of-experts feed-forward block of 4.51's modeling_mixtral.py
// (MixtralSparseMoeBlock): a router `gate` (Linear hidden -> num_experts, no bias) scores every
// token, softmax in float32, the top_k experts per token with their probabilities renormalised to
// sum 1 (cast back to the hidden dtype), and each expert (w2(act(w1 x) * w3 x)) runs only over the
// tokens routed to it; a token's output is the routing-weighted sum of its experts' outputs, added
// in ascending expert order as Python's index_add_ loop does. router_jitter_noise multiplies the
// input by uniform(1 - j, 1 + j) noise in training only.
// Qwen2-MoE's Qwen2MoeSparseMoeBlock is the same block with three switches: the top-k probabilities
// renormalised only when norm_topk_prob, experts named gate_proj / up_proj / down_proj
// (Qwen2MoeMLP), and a shared expert every token goes through, scaled by
// sigmoid(shared_expert_gate(x)) and added after the routed sum.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "transformers/nn/linear.hpp"

namespace transformers::nn {

// MixtralBlockSparseTop2MLP: one expert. gate_up_down_names: the children are Qwen2MoeMLP's
// gate_proj (w1), up_proj (w3) and down_proj (w2), registered in that order.
class SparseMoeExpert : public Module {
 public:
  SparseMoeExpert(int64_t hidden_size, int64_t ffn_dim, std::string hidden_act,
                  std::string class_name = "MixtralBlockSparseTop2MLP", bool gate_up_down_names = false);
  Tensor forward(const Tensor& x) const;
  std::string name() const override { return class_name_; }

  std::shared_ptr<Linear> w1, w2, w3;
  std::string act_fn;  // ACT2FN name

 private:
  std::string class_name_;
};

struct SparseMoeOptions {
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;  // each expert's ffn_dim
  int64_t num_experts = 0;        // config.num_local_experts
  int64_t top_k = 0;              // config.num_experts_per_tok
  std::string hidden_act = "silu";
  double router_jitter_noise = 0.0;
  std::string class_name = "MixtralSparseMoeBlock";
  // Qwen2-MoE switches (see the top of this file); the defaults are Mixtral's.
  bool norm_topk_prob = true;
  bool gate_up_down_names = false;
  std::string expert_class_name = "MixtralBlockSparseTop2MLP";
  int64_t shared_expert_intermediate_size = 0;  // 0: no shared expert
};

class SparseMoeBlock : public Module {
 public:
  // ValueError unless 0 < top_k <= num_experts and the sizes are positive.
  explicit SparseMoeBlock(SparseMoeOptions options);
  // x [batch, seq, hidden] -> (output [batch, seq, hidden], router_logits [batch * seq, num_experts]
  // in x's dtype).
  std::pair<Tensor, Tensor> forward(const Tensor& x) const;
  std::string name() const override { return options_.class_name; }

  std::shared_ptr<Linear> gate;
  std::shared_ptr<ModuleList<SparseMoeExpert>> experts;
  std::shared_ptr<SparseMoeExpert> shared_expert;  // null unless shared_expert_intermediate_size > 0
  std::shared_ptr<Linear> shared_expert_gate;      // hidden -> 1, no bias
  int64_t top_k;

 private:
  SparseMoeOptions options_;
};

// load_balancing_loss_func (4.51, Switch Transformer eq. 4-6): router_logits, one [tokens,
// num_experts] per layer, concatenated; softmax; top_k one-hot counts; num_experts * sum over
// (top-k slot, expert) of tokens_per_expert * router_prob_per_expert. With a 2-D attention_mask
// [batch, seq] (whose batch * seq must divide every layer's rows equally) padded tokens are left
// out of both means. Returns a float scalar; ValueError when the mask does not fit the logits.
Tensor load_balancing_loss_func(const std::vector<Tensor>& router_logits, int64_t num_experts, int64_t top_k,
                                const Tensor& attention_mask = Tensor());

}  // namespace transformers::nn
