// MixtralSparseMoeBlock and load_balancing_loss_func as 4.51 computes them (see the header).
#include "transformers/nn/sparse_moe.hpp"

#include "transformers/core/error.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/indexing.hpp"
#include "transformers/ops/random.hpp"
#include "transformers/ops/reduce.hpp"
#include "transformers/ops/softmax.hpp"

namespace transformers::nn {

SparseMoeExpert::SparseMoeExpert(int64_t hidden, int64_t ffn_dim, std::string hidden_act, std::string class_name,
                                 bool gate_up_down_names)
    : act_fn(std::move(hidden_act)), class_name_(std::move(class_name)) {
  // Registration order is the state_dict order save_pretrained writes.
  if (gate_up_down_names) {
    w1 = register_module("gate_proj", std::make_shared<Linear>(hidden, ffn_dim, false));
    w3 = register_module("up_proj", std::make_shared<Linear>(hidden, ffn_dim, false));
    w2 = register_module("down_proj", std::make_shared<Linear>(ffn_dim, hidden, false));
    return;
  }
  w1 = register_module("w1", std::make_shared<Linear>(hidden, ffn_dim, false));
  w2 = register_module("w2", std::make_shared<Linear>(ffn_dim, hidden, false));
  w3 = register_module("w3", std::make_shared<Linear>(hidden, ffn_dim, false));
}

Tensor SparseMoeExpert::forward(const Tensor& x) const {
  return w2->forward(ops::mul(ops::activation(w1->forward(x), act_fn), w3->forward(x)));
}

SparseMoeBlock::SparseMoeBlock(SparseMoeOptions o) : top_k(o.top_k), options_(std::move(o)) {
  const SparseMoeOptions& c = options_;
  if (c.num_experts <= 0 || c.top_k <= 0 || c.top_k > c.num_experts)
    throw ValueError(c.class_name + ": config keys 'num_local_experts' / 'num_experts_per_tok': expected 0 < " +
                     "num_experts_per_tok <= num_local_experts, found " + std::to_string(c.top_k) + " of " +
                     std::to_string(c.num_experts));
  gate = register_module("gate", std::make_shared<Linear>(c.hidden_size, c.num_experts, false));
  experts = register_module("experts", std::make_shared<ModuleList<SparseMoeExpert>>());
  for (int64_t e = 0; e < c.num_experts; ++e)
    experts->push_back(std::make_shared<SparseMoeExpert>(c.hidden_size, c.intermediate_size, c.hidden_act,
                                                         c.expert_class_name, c.gate_up_down_names));
  if (c.shared_expert_intermediate_size > 0) {
    shared_expert = register_module(
        "shared_expert", std::make_shared<SparseMoeExpert>(c.hidden_size, c.shared_expert_intermediate_size,
                                                           c.hidden_act, c.expert_class_name, c.gate_up_down_names));
    shared_expert_gate = register_module("shared_expert_gate", std::make_shared<Linear>(c.hidden_size, 1, false));
  }
}

std::pair<Tensor, Tensor> SparseMoeBlock::forward(const Tensor& input) const {
  const int64_t b = input.size(0), s = input.size(1), hidden = input.size(2), tokens = b * s;
  const int64_t n_experts = int64_t(experts->size());
  Tensor x = input;
  if (training() && options_.router_jitter_noise > 0) {  // uniform_(1 - j, 1 + j), training only
    const double j = options_.router_jitter_noise;
    std::vector<float> noise(size_t(x.numel()));
    for (float& v : noise) v = float(1.0 - j + 2.0 * j * ops::default_generator().uniform());
    x = ops::mul(x, Tensor::from_vector(noise, x.sizes()).to(x.dtype()));
  }
  x = x.reshape({tokens, hidden});
  const Tensor router_logits = gate->forward(x);
  auto [weights, selected] = ops::topk(ops::softmax(router_logits, 1, DType::Float32), top_k, -1);
  if (options_.norm_topk_prob) weights = ops::div(weights, ops::sum(weights, {-1}, true));  // renormalised
  weights = weights.to(x.dtype());  // back to the hidden dtype

  // Tokens per expert (ascending), and for every (token, slot) the row of its expert's output in the
  // concatenation of all experts' outputs.
  const std::vector<int64_t> sel = selected.to_vector<int64_t>();
  std::vector<std::vector<int64_t>> routed(static_cast<size_t>(n_experts)), slot_of(static_cast<size_t>(n_experts));
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t k = 0; k < top_k; ++k) {
      const auto e = size_t(sel[size_t(t * top_k + k)]);
      routed[e].push_back(t);
      slot_of[e].push_back(t * top_k + k);
    }
  std::vector<Tensor> outputs;
  std::vector<int64_t> row_of(size_t(tokens * top_k));      // (token, k-th expert in ascending order) -> row
  std::vector<int64_t> filled(size_t(tokens), 0);
  int64_t row = 0;
  const Tensor flat_weights = weights.reshape({tokens * top_k, 1});
  for (int64_t e = 0; e < n_experts; ++e) {
    const auto& toks = routed[size_t(e)];
    if (toks.empty()) continue;
    const Tensor idx = Tensor::from_vector(toks);
    const Tensor out = (*experts)[size_t(e)].forward(ops::index_select(x, 0, idx));
    outputs.push_back(ops::mul(out, ops::index_select(flat_weights, 0, Tensor::from_vector(slot_of[size_t(e)]))));
    for (int64_t t : toks) row_of[size_t(t * top_k + filled[size_t(t)]++)] = row++;
  }
  // Python: zeros.index_add_(0, top_x, ...) expert by expert, so a token's sum runs in expert order.
  const Tensor gathered = ops::index_select(ops::cat(outputs, 0), 0, Tensor::from_vector(row_of))
                              .reshape({tokens, top_k, hidden});
  Tensor acc = gathered.select(1, 0);
  for (int64_t k = 1; k < top_k; ++k) acc = ops::add(acc, gathered.select(1, k));
  if (shared_expert)  // Qwen2-MoE: + sigmoid(shared_expert_gate(x)) * shared_expert(x)
    acc = ops::add(acc, ops::mul(ops::sigmoid(shared_expert_gate->forward(x)), shared_expert->forward(x)));
  return {acc.reshape({b, s, hidden}), router_logits};
}

Tensor load_balancing_loss_func(const std::vector<Tensor>& router_logits, int64_t num_experts, int64_t top_k,
                                const Tensor& attention_mask) {
  if (router_logits.empty()) throw ValueError("load_balancing_loss_func: no router logits");
  const Tensor logits = ops::cat(router_logits, 0);  // [layers * tokens, experts]
  const int64_t rows = logits.size(0);
  if (logits.size(1) != num_experts || top_k <= 0 || top_k > num_experts)
    throw ValueError("load_balancing_loss_func: expected router logits [tokens, " + std::to_string(num_experts) +
                     "] and 0 < top_k <= num_experts, found " + shape_str(logits.sizes()) + " and top_k " +
                     std::to_string(top_k));
  const Tensor probs = ops::softmax(logits, -1);
  const std::vector<int64_t> sel = ops::topk(probs, top_k, -1).second.to_vector<int64_t>();
  // One row weight per token: 1, or its attention-mask value repeated for every layer.
  std::vector<double> keep(size_t(rows), 1.0);
  if (attention_mask.defined()) {
    const int64_t tokens = attention_mask.dim() == 2 ? attention_mask.numel() : 0;
    if (tokens == 0 || rows % tokens != 0)
      throw ValueError("load_balancing_loss_func: attention_mask must be 2-D [batch, seq] with batch * seq dividing "
                       "the " + std::to_string(rows) + " router-logit rows, found " +
                       shape_str(attention_mask.sizes()));
    const std::vector<double> m = attention_mask.to_vector<double>();
    for (int64_t r = 0; r < rows; ++r) keep[size_t(r)] = m[size_t(r % tokens)];
  }
  double kept = 0;
  for (double v : keep) kept += v;
  // tokens_per_expert [top_k, experts]: the (masked) share of tokens whose k-th choice is each expert.
  std::vector<float> share(size_t(top_k * num_experts), 0.0f);
  std::vector<double> acc(share.size(), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < top_k; ++k) acc[size_t(k * num_experts + sel[size_t(r * top_k + k)])] += keep[size_t(r)];
  for (size_t i = 0; i < acc.size(); ++i) share[i] = float(acc[i] / kept);
  const Tensor tokens_per_expert = Tensor::from_vector(share, {top_k, num_experts});
  std::vector<float> keep_f(keep.begin(), keep.end());
  const Tensor row_mask = Tensor::from_vector(keep_f, {rows, 1}).to(probs.dtype());
  const Tensor router_prob_per_expert =
      ops::div(ops::sum(ops::mul(probs, row_mask), {0}), Tensor::scalar(kept, probs.dtype()));
  return ops::mul(ops::sum(ops::mul(tokens_per_expert.to(probs.dtype()), router_prob_per_expert.unsqueeze(0))),
                  double(num_experts));
}

}  // namespace transformers::nn
