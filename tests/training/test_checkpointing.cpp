// Gradient checkpointing (4.51's gradient_checkpointing_enable): every parameter's gradient with
// checkpointing equals the plain run's (<= 1e-6 relative to its norm, the bound) and torch's
// (tests/data/training/*_grads.safetensors, 1e-5 as test_model_training.cpp), for GPT-2, Llama and
// BERT, reentrant and not; dropout masks are redrawn identically in the recomputation; with frozen
// embeddings the reentrant form leaves the layers without gradients exactly as torch does
// (tests/oracle/make_checkpointing_cases.py -> checkpointing.json).
#include <gtest/gtest.h>

#include <fstream>

#include "training/training_helpers.hpp"
#include "transformers/core/autograd.hpp"
#include "transformers/modeling/gradient_checkpointing.hpp"
#include "transformers/ops/random.hpp"

using namespace transformers;
namespace fs = std::filesystem;

namespace {

struct Case {
  const char* arch;
  const char* cls;
  bool use_reentrant;
};

std::shared_ptr<PreTrainedModel> load(const Case& c, const json& overrides = json::object()) {
  register_all_models();
  const fs::path path = fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf/models" / c.arch / "model";
  auto m = from_pretrained_class(c.cls, path.string(), {.config_overrides = overrides, .attn_implementation = "sdpa"});
  m->train();
  return m;
}

ModelInputs inputs(const std::map<std::string, Tensor>& g) {
  ModelInputs in = training_test::batch(g);
  if (g.count("token_type_ids")) in.token_type_ids = g.at("token_type_ids");
  return in;
}

// Loss and every parameter's gradient (by name) of one forward + backward.
std::pair<double, std::map<std::string, Tensor>> grads(PreTrainedModel& model, const ModelInputs& in) {
  const Tensor loss = model.forward(in).loss;
  loss.backward();
  std::map<std::string, Tensor> g;
  for (auto& [name, p] : model.named_parameters()) g[name] = p.grad();
  return {loss.item(), g};
}

class Checkpointing : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(Checkpointing, GradientsEqualThePlainRunAndPyTorch) {
  const Case& c = GetParam();
  const auto golden = training_test::golden(std::string(c.arch) + "_grads.safetensors");
  const ModelInputs in = inputs(golden);
  auto plain_model = load(c);
  EXPECT_FALSE(is_gradient_checkpointing(*plain_model));
  const auto [plain_loss, plain] = grads(*plain_model, in);

  auto model = load(c);
  gradient_checkpointing_enable(*model, {.use_reentrant = c.use_reentrant});
  EXPECT_TRUE(is_gradient_checkpointing(*model));
  const auto [loss, got] = grads(*model, in);
  // The checkpointed no-grad forward takes the recorded run's attention kernels
  // (autograd::MirrorRecordingGuard), so the gradients come out equal bit for bit here (worst 0 on
  // every fixture); the bound is the 1e-6 (before the guard the fused sdpa kernel of the
  // no-grad forward gave 1.1e-6 on BERT's value bias).
  EXPECT_NEAR(loss, plain_loss, 1e-6 * plain_loss);
  int checked = 0;
  double worst = 0;
  for (auto& [name, g] : got) {
    ASSERT_TRUE(g.defined()) << name;
    const Tensor& want = golden.at("sdpa.grad." + name);
    if (training_test::norm(want) < 1e-6) {  // BERT's key bias: zero up to rounding on every side
      EXPECT_LE(training_test::norm(g), 1e-6) << name;
    } else {
      const double rel = training_test::relative_to_norm(g, plain.at(name));
      EXPECT_LE(rel, 1e-6) << name;
      EXPECT_LE(training_test::relative_to_norm(g, want), 1e-5) << name;
      worst = std::max(worst, rel);
    }
    ++checked;
  }
  EXPECT_EQ(size_t(checked), plain.size());
  EXPECT_GT(checked, 20);
  std::printf("%s reentrant=%d: %d gradients, worst |g_ckpt - g| / |g| = %.3g\n", c.arch, int(c.use_reentrant), checked,
              worst);

  gradient_checkpointing_disable(*model);
  EXPECT_FALSE(is_gradient_checkpointing(*model));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Checkpointing,
                         ::testing::Values(Case{"gpt2", "GPT2LMHeadModel", true}, Case{"gpt2", "GPT2LMHeadModel", false},
                                           Case{"llama", "LlamaForCausalLM", true},
                                           Case{"bert", "BertForMaskedLM", true},
                                           Case{"bert", "BertForMaskedLM", false}),
                         [](const auto& info) {
                           return std::string(info.param.arch) + (info.param.use_reentrant ? "_reentrant" : "_non_reentrant");
                         });

TEST(CheckpointingDropout, TheRecomputationDrawsTheForwardsMasks) {
  // Dropout everywhere GPT-2 has it; the same seed gives the same masks with and without
  // checkpointing only if the recomputation restores the generator (torch's preserve_rng_state).
  const json drop = {{"resid_pdrop", 0.3}, {"embd_pdrop", 0.3}, {"attn_pdrop", 0.3}};
  const Case c{"gpt2", "GPT2LMHeadModel", true};
  const ModelInputs in = inputs(training_test::golden("gpt2_grads.safetensors"));
  auto plain_model = load(c, drop);
  ops::default_generator().manual_seed(11);
  const auto [plain_loss, plain] = grads(*plain_model, in);
  auto model = load(c, drop);
  gradient_checkpointing_enable(*model);
  ops::default_generator().manual_seed(11);
  const auto [loss, got] = grads(*model, in);
  EXPECT_NEAR(loss, plain_loss, 1e-6 * plain_loss);
  int checked = 0;
  for (auto& [name, g] : got) {
    if (name.ends_with("attn.c_attn.bias")) continue;  // the key third is rounding noise (see training_helpers)
    EXPECT_LE(training_test::relative_to_norm(g, plain.at(name)), 1e-6) << name;
    ++checked;
  }
  EXPECT_EQ(checked, 26);
  // And the masks are live: a different seed gives a different loss.
  ops::default_generator().manual_seed(12);
  EXPECT_NE(model->forward(in).loss.item(), loss);
}

TEST(CheckpointingFrozenEmbeddings, ReentrantLeavesTheLayersWithoutGradientsAsTorch) {
  std::ifstream f(fs::path(TRANSFORMERS_TEST_DATA_DIR) / "training/checkpointing.json");
  const json want = json::parse(f);
  const ModelInputs in = inputs(training_test::golden("gpt2_grads.safetensors"));
  for (const bool reentrant : {true, false}) {
    const json& w = want.at(reentrant ? "reentrant" : "non_reentrant");
    auto model = load({"gpt2", "GPT2LMHeadModel", reentrant});
    gradient_checkpointing_enable(*model, {.use_reentrant = reentrant});
    model->find_parameter("transformer.wte.weight")->set_requires_grad(false);  // lm_head is tied to it
    model->find_parameter("transformer.wpe.weight")->set_requires_grad(false);
    const Tensor loss = model->forward(in).loss;
    EXPECT_NEAR(loss.item(), w.at("loss").get<double>(), 1e-5 * w.at("loss").get<double>());
    loss.backward();
    std::vector<std::string> with_grad;
    for (auto& [name, p] : model->named_parameters())
      if (p.grad().defined()) with_grad.push_back(name);
    EXPECT_EQ(with_grad, w.at("with_grad").get<std::vector<std::string>>()) << "use_reentrant=" << reentrant;
    EXPECT_EQ(with_grad.size(), reentrant ? 2u : 26u);
  }
}
