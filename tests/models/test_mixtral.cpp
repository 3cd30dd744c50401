// Mixtral's sparse MoE outputs against transformers 4.51.3 on the tiny random checkpoints of
// tests/oracle/make_moe_cases.py (tests/data/models/cases/mixtral_*; their logits, hidden states,
// decode step, greedy generate, save/load and resize run in test_llama_family.cpp and
// test_cases.cpp): every layer's router logits, load_balancing_loss_func with and without the
// attention mask, and the loss with router_aux_loss_coef * aux_loss added; the module tree and
// config checks of MixtralSparseMoeBlock.
#include "models/moe_router_check.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/models/mixtral/modeling_mixtral.hpp"
#include "transformers/ops/indexing.hpp"

using namespace transformers;
using namespace parity;

namespace {

constexpr double kTol = 2e-5;

class MixtralRouter : public ::testing::TestWithParam<const char*> {};

TEST_P(MixtralRouter, RouterLogitsAuxLossAndLossEqualTransformers) {
  const fs::path dir = test_data("cases") / GetParam();
  auto model = from_pretrained_class("MixtralForCausalLM", dir.string(), {.attn_implementation = "eager"});
  auto& lm = dynamic_cast<MixtralForCausalLM&>(*model);
  expect_router_goldens(lm, dir, kTol);
  const auto e = load_tensors(dir / "expected.safetensors");
  const auto r = load_tensors(dir / "router.safetensors");
  ModelInputs no_mask;
  no_mask.input_ids = e.at("input_ids");
  EXPECT_LE(max_abs_diff(lm.forward_moe(no_mask, true).aux_loss.reshape({1}), r.at("aux_loss_no_mask")), kTol);
}

INSTANTIATE_TEST_SUITE_P(Cases, MixtralRouter,
                         ::testing::Values("mixtral_top2_gqa_left_pad", "mixtral_top3_window4_headdim_tied"),
                         [](const auto& info) { return std::string(info.param); });

std::shared_ptr<PretrainedConfig> tiny(json extra = json::object()) {
  return tiny_decoder_config("mixtral", std::move(extra));
}

TEST(MixtralConfig, DefaultsOf451) {
  register_all_models();
  PretrainedConfig c(json{{"model_type", "mixtral"}});
  EXPECT_EQ(c.get<int64_t>("num_local_experts"), 8);
  EXPECT_EQ(c.get<int64_t>("num_experts_per_tok"), 2);
  EXPECT_DOUBLE_EQ(c.get<double>("router_aux_loss_coef"), 0.001);
  EXPECT_DOUBLE_EQ(c.get<double>("rms_norm_eps"), 1e-5);
  EXPECT_TRUE(c.raw_at("sliding_window").is_null());
  EXPECT_FALSE(c.get<bool>("output_router_logits"));
}

TEST(MixtralModel, ExpertsReplaceTheMlpInTheStateDict) {
  MixtralForCausalLM m(tiny({{"num_local_experts", 3}, {"num_experts_per_tok", 2}}));
  std::vector<std::string> keys;
  for (auto& [k, v] : m.state_dict())
    if (k.rfind("model.layers.0.", 0) == 0 && k.find("self_attn") == std::string::npos &&
        k.find("layernorm") == std::string::npos)
      keys.push_back(k + " " + shape_str(v.sizes()));
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "model.layers.0.block_sparse_moe.gate.weight [3, 16]",
                      "model.layers.0.block_sparse_moe.experts.0.w1.weight [8, 16]",
                      "model.layers.0.block_sparse_moe.experts.0.w2.weight [16, 8]",
                      "model.layers.0.block_sparse_moe.experts.0.w3.weight [8, 16]",
                      "model.layers.0.block_sparse_moe.experts.1.w1.weight [8, 16]",
                      "model.layers.0.block_sparse_moe.experts.1.w2.weight [16, 8]",
                      "model.layers.0.block_sparse_moe.experts.1.w3.weight [8, 16]",
                      "model.layers.0.block_sparse_moe.experts.2.w1.weight [8, 16]",
                      "model.layers.0.block_sparse_moe.experts.2.w2.weight [16, 8]",
                      "model.layers.0.block_sparse_moe.experts.2.w3.weight [8, 16]"}));
}

TEST(MixtralConfig, TopKBeyondTheExpertsIsValueError) {
  for (auto [experts, k] : {std::pair{2, 3}, std::pair{4, 0}, std::pair{0, 1}}) {
    try {
      MixtralModel m(tiny({{"num_local_experts", experts}, {"num_experts_per_tok", k}}));
      FAIL() << experts << " experts, top " << k << " accepted";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("num_experts_per_tok"), std::string::npos) << e.what();
    }
  }
}

// router_jitter_noise multiplies the router input only in training (4.51: `if self.training and
// self.jitter_noise > 0`): eval logits equal those of the same weights without jitter.
TEST(MixtralModel, JitterNoiseOnlyInTraining) {
  const fs::path dir = test_data("cases") / "mixtral_top2_gqa_left_pad";
  auto a = from_pretrained_class("MixtralForCausalLM", dir.string(), {.attn_implementation = "eager"});
  auto config = std::make_shared<PretrainedConfig>(a->config());
  config->raw()["router_jitter_noise"] = 0.5;
  MixtralForCausalLM b(config);
  std::map<std::string, Tensor> weights;
  for (auto& [k, v] : a->state_dict()) weights[k] = v;
  b.load_state_dict(weights);
  ModelInputs in;
  in.input_ids = load_tensors(dir / "expected.safetensors").at("input_ids");
  EXPECT_EQ(max_abs_diff(a->forward(in).logits, b.forward(in).logits), 0.0);
  b.train();
  EXPECT_GT(max_abs_diff(a->forward(in).logits, b.forward(in).logits), 1e-3);
}

}  // namespace
