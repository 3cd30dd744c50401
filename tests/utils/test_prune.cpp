// prune_heads for BERT and GPT-2 against transformers 4.51 (tests/oracle/make_utils_goldens.py):
// two successive calls ({0:[1,3],1:[0]} then {0:[1,2]}, head 1 already gone), the merged
// config.pruned_heads, every tensor shape, logits after each call, save + reload, and the
// equivalence with head_mask on the unpruned model. Logits at the suite's float32 parity tolerance
// (tests/common/compare.hpp).
#include "transformers/modeling/prune.hpp"
#include "utils/utils_test_helpers.hpp"

using namespace transformers;
using namespace utils_test;

namespace {

json heads_json(const HeadsToPrune& h) {
  json j = json::object();
  for (auto& [l, hs] : h) j[std::to_string(l)] = hs;
  return j;
}

class Prune : public ::testing::TestWithParam<const char*> {
 protected:
  std::string arch() const { return GetParam(); }
  const json& facts() const { return golden_facts()[arch()]; }
  const Tensor& gold(const std::string& k) const { return goldens().at(arch() + "." + k); }
  std::shared_ptr<PreTrainedModel> load(const fs::path& p) { return load_model(p); }
};

TEST_P(Prune, TwoCallsMatch451) {
  auto model = load(fixture(arch() + "/model"));
  const ModelInputs in = fixture_inputs(arch());
  prune_heads(*model, {{0, {1, 3}}, {1, {0}}});
  EXPECT_EQ(heads_json(model->config().pruned_heads()), facts()["pruned_heads_after_first"]);
  EXPECT_TRUE(allclose(model->forward(in).logits, gold("logits_pruned_1")));
  prune_heads(*model, {{0, {1, 2}}});
  EXPECT_EQ(heads_json(model->config().pruned_heads()), facts()["pruned_heads"]);
  EXPECT_TRUE(allclose(model->forward(in).logits, gold("logits_pruned")));
  const json& shapes = facts()["pruned_shapes"];
  auto sd = model->state_dict();
  EXPECT_EQ(sd.size(), shapes.size());
  for (auto& [k, t] : sd) {
    ASSERT_TRUE(shapes.contains(k)) << k;
    EXPECT_EQ(t.sizes(), shapes[k].get<Shape>()) << k;
  }
  EXPECT_EQ(model->num_parameters(), facts()["num_parameters_pruned"].get<int64_t>());
  // pruning everything already pruned changes nothing
  prune_heads(*model, {{0, {3}}});
  EXPECT_EQ(model->num_parameters(), facts()["num_parameters_pruned"].get<int64_t>());
}

TEST_P(Prune, SavedCheckpointReloadsPruned) {
  auto model = load(fixture(arch() + "/model"));
  prune_heads(*model, {{0, {1, 3}}, {1, {0}}});
  prune_heads(*model, {{0, {1, 2}}});
  TempDir d;
  model->save_pretrained(d.str());
  const json cfg = read_json(d.path / "config.json");
  ASSERT_TRUE(cfg.contains("pruned_heads"));
  json saved = cfg["pruned_heads"];
  for (auto& [k, v] : saved.items()) std::sort(v.begin(), v.end());
  EXPECT_EQ(saved, facts()["saved_pruned_heads"]);
  auto back = load(d.path);
  EXPECT_TRUE(back->loading_info().missing_keys.empty());
  EXPECT_TRUE(back->loading_info().mismatched_keys.empty());
  EXPECT_EQ(heads_json(back->config().pruned_heads()), facts()["reloaded_pruned_heads"]);
  EXPECT_TRUE(allclose(back->forward(fixture_inputs(arch())).logits, gold("logits_pruned_reloaded")));
}

TEST_P(Prune, HeadMaskLogitsMatch451AndEqualPruning) {
  auto model = load(fixture(arch() + "/model"));
  ModelInputs in = fixture_inputs(arch());
  in.head_mask = goldens().at("head_mask.input2d");
  const Tensor masked = model->forward(in).logits;
  EXPECT_TRUE(allclose(masked, gold("logits_head_mask")));
  in.head_mask = goldens().at("head_mask.input1d");
  EXPECT_TRUE(allclose(model->forward(in).logits, gold("logits_head_mask_1d")));
  // the head mask zeroes exactly the heads pruned in TwoCallsMatch451: same logits
  prune_heads(*model, {{0, {1, 2, 3}}, {1, {0}}});
  EXPECT_TRUE(allclose(model->forward(fixture_inputs(arch())).logits, masked, {.atol = 1e-5}));
}

TEST_P(Prune, BadRequestsChangeNothing) {
  auto model = load(fixture(arch() + "/model"));
  const int64_t n = model->num_parameters();
  EXPECT_THROW(prune_heads(*model, {{2, {0}}}), ValueError);   // 2 layers
  EXPECT_THROW(prune_heads(*model, {{0, {4}}}), ValueError);   // 4 heads
  EXPECT_THROW(prune_heads(*model, {{-1, {0}}}), ValueError);
  EXPECT_EQ(model->num_parameters(), n);
  EXPECT_TRUE(model->config().pruned_heads().empty());
}

INSTANTIATE_TEST_SUITE_P(Goldens, Prune, ::testing::Values("bert", "gpt2"));

TEST(PruneOther, LlamaHasNoHeadPruning) {
  auto model = load_model(fixture("llama/model"));
  EXPECT_THROW(prune_heads(*model, {{0, {0}}}), UnsupportedError);
}

TEST(ParseHeads, JsonForms) {
  auto h = parse_heads_to_prune(R"({"0": [0, 2], "2": [1]})");
  EXPECT_EQ(h, (HeadsToPrune{{0, {0, 2}}, {2, {1}}}));
  EXPECT_THROW(parse_heads_to_prune("[1,2]"), ValueError);
  EXPECT_THROW(parse_heads_to_prune(R"({"a": [1]})"), ValueError);
  EXPECT_THROW(parse_heads_to_prune(R"({"0": 1})"), ValueError);
  EXPECT_THROW(parse_heads_to_prune(R"({"0": [1.5]})"), ValueError);
  EXPECT_THROW(parse_heads_to_prune("{"), ValueError);
}

}  // namespace
