// Training against PyTorch + transformers 4.51.3 (tests/oracle/make_grad_cases.py, outputs
// in tests/data/training/): the loss from labels and every parameter's gradient for GPT-2 (causal
// LM), Llama (causal LM: grouped-query attention, rotary, RMSNorm) and BERT (masked LM, with pad tokens whose embedding row gets no gradient), and 20 AdamW
// steps with linear warmup and clipping on GPT-2.
//
// Tolerances: HF's own float32 gradients are within 7.3e-7 (relative to each gradient's norm) of
// its float64 ones on this batch (printed by the oracle), so 1e-5 relative to the norm leaves room
// for our float32 summation order only; a wrong term in any backward is far outside it.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "common/compare.hpp"
#include "training/training_helpers.hpp"
#include "transformers/core/autograd.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/modeling/loss_utils.hpp"
#include "transformers/ops/indexing.hpp"
#include "transformers/models/register_all.hpp"
#include "transformers/training/optimization.hpp"

using namespace transformers;
namespace fs = std::filesystem;

namespace {

using training_test::batch;
using training_test::golden;
using training_test::gpt2;
using training_test::norm;
using training_test::relative_to_norm;

struct GradCase {
  const char* arch;
  const char* cls;
  const char* attn;
  int parameters;  // named_parameters (tied weights once, as in Python)
};

class ModelGrads : public ::testing::TestWithParam<GradCase> {};

}  // namespace

TEST_P(ModelGrads, LossAndEveryParameterGradientEqualPyTorch) {
  const GradCase& c = GetParam();
  const std::string impl = c.attn;
  const auto g = golden(std::string(c.arch) + "_grads.safetensors");
  register_all_models();
  const fs::path path = fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf/models" / c.arch / "model";
  auto model = from_pretrained_class(c.cls, path.string(), {.attn_implementation = impl});
  model->train();  // the fixtures' dropout probabilities are 0
  ModelInputs in = batch(g);
  if (g.count("token_type_ids")) in.token_type_ids = g.at("token_type_ids");
  ModelOutput out = model->forward(in);
  ASSERT_TRUE(out.loss.defined());
  EXPECT_TRUE(testcmp::allclose(out.loss.reshape({1}), g.at(impl + ".loss"), {.atol = 0, .rtol = 1e-5}));
  out.loss.backward();
  double worst = 0;
  const int checked = training_test::expect_gradients_equal(*model, g, impl + ".grad.", worst);
  EXPECT_EQ(checked, c.parameters);
  std::printf("%s %s: %d gradients, worst |g - g_torch| / |g_torch| = %.3g\n", c.arch, c.attn, checked, worst);
}

// GPT-2: 2 embeddings + ln_f (2) + 2 layers x 12 tensors (ln_1, c_attn, c_proj, ln_2, c_fc, mlp c_proj).
INSTANTIATE_TEST_SUITE_P(Fixtures, ModelGrads,
                         ::testing::Values(GradCase{"gpt2", "GPT2LMHeadModel", "sdpa", 28},
                                           GradCase{"gpt2", "GPT2LMHeadModel", "eager", 28},
                                           GradCase{"llama", "LlamaForCausalLM", "sdpa", 21},
                                           GradCase{"llama", "LlamaForCausalLM", "eager", 21},
                                           GradCase{"bert", "BertForMaskedLM", "sdpa", 42},
                                           GradCase{"bert", "BertForMaskedLM", "eager", 42}),
                         [](const auto& info) { return std::string(info.param.arch) + "_" + info.param.attn; });

TEST(Gpt2Loss, NumItemsInBatchDividesTheSum) {
  const auto g = golden("gpt2_grads.safetensors");
  auto model = gpt2("sdpa");
  autograd::NoGradGuard no_grad;
  ModelInputs in = batch(g);
  in.num_items_in_batch = 5;
  EXPECT_TRUE(testcmp::allclose(model->forward(in).loss.reshape({1}), g.at("sdpa.loss_items"), {.atol = 0, .rtol = 1e-5}));
}

TEST(Gpt2Loss, LabelsOfTheWrongShapeAreNamed) {
  auto model = gpt2("sdpa");
  autograd::NoGradGuard no_grad;
  ModelInputs in;
  in.input_ids = Tensor::from_vector(std::vector<int64_t>{1, 2, 3, 4}, {2, 2});
  in.labels = Tensor::from_vector(std::vector<int64_t>{1, 2, 3}, {1, 3});
  try {
    model->forward(in);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("labels of shape [1, 3]"), std::string::npos) << e.what();
  }
  in.labels = Tensor::from_vector(std::vector<int64_t>{1, 99, 3, -100}, {2, 2});  // 99: vocab is 99
  EXPECT_THROW(model->forward(in), ValueError);
}

TEST(Gpt2Training, TwentyAdamWStepsWithWarmupAndClippingEqualPyTorch) {
  const auto g = golden("gpt2_grads.safetensors");
  const auto want = golden("gpt2_adamw.safetensors");
  auto model = gpt2("sdpa");
  const ModelInputs in = batch(g);
  std::vector<Tensor> params = training::trainable_parameters(*model);
  ASSERT_EQ(params.size(), 28u);
  training::AdamW opt(params, {.lr = 1e-2, .weight_decay = 0.01});
  training::LambdaLR sched = training::get_linear_schedule_with_warmup(opt, 5, 20);
  std::vector<double> losses, norms, lrs;
  for (int step = 0; step < 20; ++step) {
    opt.zero_grad();
    const Tensor loss = model->forward(in).loss;
    loss.backward();
    norms.push_back(training::clip_grad_norm_(params, 1.0));
    lrs.push_back(opt.lr());
    opt.step();
    sched.step();
    losses.push_back(loss.item());
  }
  EXPECT_TRUE(testcmp::allclose(losses, want.at("losses").to_vector<double>(), {.atol = 0, .rtol = 1e-4}));
  EXPECT_TRUE(testcmp::allclose(norms, want.at("grad_norms").to_vector<double>(), {.atol = 0, .rtol = 1e-4}));
  EXPECT_TRUE(testcmp::allclose(lrs, want.at("lrs").to_vector<double>(), {.atol = 0, .rtol = 1e-12}));
  int checked = 0;
  double worst = 0;
  for (auto& [name, p] : model->named_parameters()) {
    const Tensor got = training_test::comparable_after_adamw(name, p);
    const Tensor w = training_test::comparable_after_adamw(name, want.at("final." + name));
    const double rel = relative_to_norm(got, w);
    EXPECT_LE(rel, 1e-5) << name;
    worst = std::max(worst, rel);
    ++checked;
  }
  EXPECT_EQ(checked, 28);
  std::printf("gpt2 adamw: final loss %.6f (torch %.6f), worst |w - w_torch| / |w_torch| = %.3g\n", losses.back(),
              want.at("losses").to_vector<double>().back(), worst);
}
