#pragma once
// The router checks both sparse-MoE families run on their oracle cases (router.safetensors of
// tests/oracle/make_moe_cases.py / make_qwen2_moe_cases.py): with output_router_logits the router
// logits of every sparse layer, aux_loss and the loss with router_aux_loss_coef * aux_loss; without,
// no router logits and the plain LM loss.
#include "models/parity_util.hpp"
#include "transformers/models/llama/modeling_llama.hpp"
#include "transformers/ops/indexing.hpp"

namespace parity {

inline void expect_router_goldens(transformers::LlamaForCausalLM& lm, const fs::path& dir, double tol = 2e-5) {
  using namespace transformers;
  const auto e = load_tensors(dir / "expected.safetensors");
  const auto r = load_tensors(dir / "router.safetensors");
  ModelInputs in;
  in.input_ids = e.at("input_ids");
  in.attention_mask = e.at("attention_mask");
  in.labels = r.at("labels");
  const MoeModelOutput out = lm.forward_moe(in, true);
  const Tensor want = r.at("router_logits");  // [sparse layers, batch * seq, experts]
  ASSERT_EQ(int64_t(out.router_logits.size()), want.size(0));
  EXPECT_LE(max_abs_diff(ops::stack(out.router_logits, 0), want), tol);
  EXPECT_LE(max_abs_diff(out.aux_loss.reshape({1}), r.at("aux_loss")), tol);
  EXPECT_LE(max_abs_diff(out.loss.reshape({1}), r.at("loss")), tol);
  const MoeModelOutput plain = lm.forward_moe(in);
  EXPECT_TRUE(plain.router_logits.empty());
  EXPECT_FALSE(plain.aux_loss.defined());
  EXPECT_LE(max_abs_diff(plain.loss.reshape({1}), r.at("loss_without_router_logits")), tol);
  EXPECT_GT(max_abs_diff(plain.loss.reshape({1}), r.at("loss")), 1e-4);  // the aux term is visible
}

}  // namespace parity
