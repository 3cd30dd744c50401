// Qwen2-MoE's sparse MoE outputs against transformers 4.51.3 on the tiny random checkpoints of
// tests/oracle/make_qwen2_moe_cases.py (tests/data/models/cases/qwen2_moe_*; their logits, hidden
// states, decode step, greedy generate, save/load and resize run in test_llama_family.cpp and
// test_cases.cpp): the sparse layers' router logits (dense layers give none), the aux loss added to
// the loss, beam search token for token; the module tree (shared expert, mlp_only_layers,
// decoder_sparse_step) and Qwen2MoeConfig's derived keys.
#include "models/moe_router_check.hpp"
#include "transformers/generation/utils.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/models/qwen2_moe/modeling_qwen2_moe.hpp"

using namespace transformers;
using namespace parity;

namespace {

const char* const kCases[] = {"qwen2_moe_shared_top2_left_pad", "qwen2_moe_step2_mlp_only_window4_norm_topk",
                              "qwen2_moe_top1_no_qkv_bias_mlp_only0"};

class Qwen2MoeCase : public ::testing::TestWithParam<const char*> {
 protected:
  fs::path dir() const { return test_data("cases") / GetParam(); }
};

TEST_P(Qwen2MoeCase, RouterLogitsAuxLossAndLossEqualTransformers) {
  auto model = from_pretrained_class("Qwen2MoeForCausalLM", dir().string(), {.attn_implementation = "eager"});
  expect_router_goldens(dynamic_cast<Qwen2MoeForCausalLM&>(*model), dir());
}

TEST_P(Qwen2MoeCase, BeamSearchEqualsTransformers) {
  const auto g = load_tensors(dir() / "generate.safetensors");
  auto model = AutoModelForCausalLM::from_pretrained(dir().string(), {.attn_implementation = "sdpa"});
  GenerationOptions o;
  o.do_sample = false;
  o.num_beams = 3;
  o.num_return_sequences = 2;
  o.max_new_tokens = 6;
  o.min_new_tokens = 6;
  const Tensor got = generate(*model, g.at("input_ids"), g.at("attention_mask"), o).sequences;
  const Tensor want = g.at("beam_sequences");
  ASSERT_EQ(shape_str(got.sizes()), shape_str(want.sizes()));
  EXPECT_EQ(got.to_vector<int64_t>(), want.to_vector<int64_t>());
}

INSTANTIATE_TEST_SUITE_P(Cases, Qwen2MoeCase, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param); });

std::shared_ptr<PretrainedConfig> tiny(json extra = json::object()) {
  return tiny_decoder_config("qwen2_moe", std::move(extra));
}

TEST(Qwen2MoeConfig, DefaultsOf451AndDerivedKeys) {
  register_all_models();
  PretrainedConfig c(json{{"model_type", "qwen2_moe"}});
  EXPECT_EQ(c.get<int64_t>("num_experts"), 60);
  EXPECT_EQ(c.get<int64_t>("num_experts_per_tok"), 4);
  EXPECT_EQ(c.get<int64_t>("moe_intermediate_size"), 1408);
  EXPECT_EQ(c.get<int64_t>("shared_expert_intermediate_size"), 5632);
  EXPECT_FALSE(c.get<bool>("norm_topk_prob"));
  EXPECT_TRUE(c.get<bool>("qkv_bias"));
  EXPECT_EQ(c.raw_at("mlp_only_layers"), json::array());
  // sliding_window is None unless use_sliding_window (then the given value, 4096 by default).
  EXPECT_TRUE(c.raw_at("sliding_window").is_null());
  PretrainedConfig w(json{{"model_type", "qwen2_moe"}, {"use_sliding_window", true}});
  EXPECT_EQ(w.get<int64_t>("sliding_window"), 4096);
}

TEST(Qwen2MoeModel, SparseLayersFollowStepAndMlpOnlyLayers) {
  // 4 layers, step 2 -> layers 1 and 3 sparse; mlp_only_layers [3] -> only layer 1.
  Qwen2MoeForCausalLM m(tiny({{"num_hidden_layers", 4}, {"num_experts", 2}, {"num_experts_per_tok", 1},
                              {"decoder_sparse_step", 2}, {"mlp_only_layers", {3}}, {"moe_intermediate_size", 4},
                              {"shared_expert_intermediate_size", 6}}));
  std::vector<std::string> keys;
  for (auto& [k, v] : m.state_dict())
    if (k.find(".mlp.") != std::string::npos) keys.push_back(k + " " + shape_str(v.sizes()));
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "model.layers.0.mlp.gate_proj.weight [8, 16]",
                      "model.layers.0.mlp.up_proj.weight [8, 16]",
                      "model.layers.0.mlp.down_proj.weight [16, 8]",
                      "model.layers.1.mlp.gate.weight [2, 16]",
                      "model.layers.1.mlp.experts.0.gate_proj.weight [4, 16]",
                      "model.layers.1.mlp.experts.0.up_proj.weight [4, 16]",
                      "model.layers.1.mlp.experts.0.down_proj.weight [16, 4]",
                      "model.layers.1.mlp.experts.1.gate_proj.weight [4, 16]",
                      "model.layers.1.mlp.experts.1.up_proj.weight [4, 16]",
                      "model.layers.1.mlp.experts.1.down_proj.weight [16, 4]",
                      "model.layers.1.mlp.shared_expert.gate_proj.weight [6, 16]",
                      "model.layers.1.mlp.shared_expert.up_proj.weight [6, 16]",
                      "model.layers.1.mlp.shared_expert.down_proj.weight [16, 6]",
                      "model.layers.1.mlp.shared_expert_gate.weight [1, 16]",
                      "model.layers.2.mlp.gate_proj.weight [8, 16]",
                      "model.layers.2.mlp.up_proj.weight [8, 16]",
                      "model.layers.2.mlp.down_proj.weight [16, 8]",
                      "model.layers.3.mlp.gate_proj.weight [8, 16]",
                      "model.layers.3.mlp.up_proj.weight [8, 16]",
                      "model.layers.3.mlp.down_proj.weight [16, 8]"}));
  EXPECT_EQ(int64_t(find_config_class("qwen2_moe")->base_model_num_parameters(m.config())),
            m.model->num_parameters());
}

TEST(Qwen2MoeConfig, BadMoeKeysAreValueErrors) {
  const json bad[] = {{{"num_experts", 2}, {"num_experts_per_tok", 3}},
                      {{"num_experts", 2}, {"num_experts_per_tok", 1}, {"decoder_sparse_step", 0}},
                      {{"num_experts", 2}, {"num_experts_per_tok", 1}, {"mlp_only_layers", "0"}},
                      {{"num_experts", 2}, {"num_experts_per_tok", 1}, {"num_attention_heads", 3}}};
  for (const json& extra : bad) {
    try {
      Qwen2MoeModel m(tiny(extra));
      FAIL() << extra.dump() << " accepted";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("config key"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
