// Optimisers, schedules, Trainer's weight-decay groups and gradient accumulation against torch +
// transformers 4.51.3 (tests/oracle/make_optim_cases.py; goldens in tests/data/training/):
// every LambdaLR schedule of get_scheduler for 25 steps, torch.optim.SGD (plain with weight decay;
// Nesterov momentum over Trainer's two groups with cosine warmup and clipping) for 10 steps on
// GPT-2, and Trainer's accumulation of two micro-batches per AdamW step (num_items_in_batch).
//
// Tolerances as test_model_training.cpp's: per-step losses relative 1e-4, final weights 1e-5
// relative to each tensor's norm (float32 summation order only); lrs are double arithmetic as
// Python's, equal to 1e-12.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "common/compare.hpp"
#include "training/training_helpers.hpp"
#include "transformers/core/autograd.hpp"
#include "transformers/training/optimization.hpp"
#include "transformers/training/trainer_pt_utils.hpp"

using namespace transformers;
namespace fs = std::filesystem;
using training_test::golden;

namespace {

// Final weights against the golden `<prefix>final.<name>`, every parameter; returns the count.
int expect_final_weights(PreTrainedModel& model, const std::map<std::string, Tensor>& want, const std::string& prefix,
                         bool after_adamw) {
  int checked = 0;
  double worst = 0;
  for (auto& [name, p] : model.named_parameters()) {
    Tensor got = p, w = want.at(prefix + "final." + name);
    if (after_adamw) {
      got = training_test::comparable_after_adamw(name, got);
      w = training_test::comparable_after_adamw(name, w);
    }
    const double rel = training_test::relative_to_norm(got, w);
    EXPECT_LE(rel, 1e-5) << prefix << name;
    worst = std::max(worst, rel);
    ++checked;
  }
  std::printf("%sworst |w - w_torch| / |w_torch| = %.3g over %d parameters\n", prefix.c_str(), worst, checked);
  return checked;
}

Tensor scalar_param() {
  Tensor p = Tensor::from_vector(std::vector<float>{0.f}, {1});
  p.set_requires_grad(true);
  return p;
}

}  // namespace

TEST(Schedules, EveryLambdaLRSchedulerEqualsTransformers) {
  const auto want = golden("schedules.safetensors");
  const std::vector<std::string> names{"linear",   "cosine",   "cosine_with_restarts", "polynomial",
                                       "constant", "constant_with_warmup", "inverse_sqrt", "polynomial_p2"};
  int checked = 0;
  for (const std::string& name : names) {
    training::SGD opt({scalar_param()}, {.lr = 0.1});
    training::LambdaLR sched = name == "polynomial_p2"
                                   ? training::get_polynomial_decay_schedule_with_warmup(opt, 5, 20, 1e-3, 2.0)
                                   : training::get_scheduler(name, opt, 5, 20);
    std::vector<double> lrs;
    for (int step = 0; step < 25; ++step) {
      lrs.push_back(opt.lr());
      EXPECT_EQ(sched.get_last_lr(), opt.lr());
      sched.step();
    }
    EXPECT_TRUE(testcmp::allclose(lrs, want.at("lr." + name).to_vector<double>(), {.atol = 1e-15, .rtol = 1e-12})) << name;
    ++checked;
  }
  EXPECT_EQ(checked, 8);
}

TEST(Schedules, UnknownNamesAndImpossibleArgumentsAreValueErrors) {
  training::SGD opt({scalar_param()}, {.lr = 0.1});
  try {
    training::get_scheduler("cosine_annealing", opt, 0, 10);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("'cosine_annealing'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(training::get_polynomial_decay_schedule_with_warmup(opt, 0, 10, /*lr_end=*/0.5), ValueError);
  EXPECT_THROW(training::get_scheduler("linear", opt, -1, 10), ValueError);
}

TEST(Sgd, ArgumentsAndGroupsAreCheckedAsTorchDoes) {
  EXPECT_THROW(training::SGD({scalar_param()}, {.lr = 0.1, .nesterov = true}), ValueError);
  EXPECT_THROW(training::SGD({scalar_param()}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}),
               ValueError);
  EXPECT_THROW(training::SGD({scalar_param()}, {.lr = -1}), ValueError);
  EXPECT_THROW(training::SGD(std::vector<Tensor>{}, {}), ValueError);
  const Tensor p = scalar_param();
  EXPECT_THROW(training::SGD(std::vector<training::ParamGroup>{{{p}}, {{p}}}, {}), ValueError);
}

TEST(Sgd, MomentumDampeningAndMaximizeFollowTorchsUpdate) {
  // torch: buf_1 = g (copy of the first gradient), buf_t = m buf + (1 - d) g; maximize negates g.
  Tensor p = scalar_param();
  training::SGD opt({p}, {.lr = 0.5, .momentum = 0.5, .dampening = 0.5, .maximize = true});
  for (int i = 0; i < 2; ++i) {
    p.set_grad(Tensor::from_vector(std::vector<float>{2.f}, {1}));
    opt.step();
  }
  // g = -2: step 1 buf = -2, p = 0 + 1 = 1; step 2 buf = -1 - 1 = -2, p = 1 + 1 = 2.
  EXPECT_EQ(p.to_vector<float>()[0], 2.f);
}

TEST(DecayGroups, NamesEqualTrainersForEachFixture) {
  std::ifstream f(fs::path(TRANSFORMERS_TEST_DATA_DIR) / "training/decay_names.json");
  const nlohmann::json want = nlohmann::json::parse(f);
  register_all_models();
  const std::map<std::string, std::pair<std::string, size_t>> cases{
      {"gpt2", {"GPT2LMHeadModel", 10}}, {"llama", {"LlamaForCausalLM", 16}}, {"bert", {"BertForMaskedLM", 16}}};
  for (auto& [arch, c] : cases) {
    const fs::path path = fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf/models" / arch / "model";
    auto model = from_pretrained_class(c.first, path.string(), {});
    const auto groups = training::decay_parameter_groups(*model, 0.1);
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(*groups[0].weight_decay, 0.1);
    EXPECT_EQ(*groups[1].weight_decay, 0.0);
    // The decay group holds exactly Trainer's names, in named_parameters order.
    std::vector<std::string> got;
    for (auto& [name, p] : model->named_parameters())
      for (const Tensor& q : groups[0].params)
        if (q.data_ptr() == p.data_ptr()) got.push_back(name);
    EXPECT_EQ(got, want.at(arch).get<std::vector<std::string>>()) << arch;
    EXPECT_EQ(got.size(), c.second) << arch;
    EXPECT_EQ(groups[0].params.size() + groups[1].params.size(), model->named_parameters().size()) << arch;
  }
}

TEST(Gpt2Sgd, PlainAndNesterovTenStepsEqualPyTorch) {
  const auto g = golden("gpt2_grads.safetensors");
  const auto want = golden("gpt2_sgd.safetensors");
  const ModelInputs in = training_test::batch(g);
  for (const std::string run : {"plain", "nesterov"}) {
    auto model = training_test::gpt2("sdpa");
    std::unique_ptr<training::SGD> opt;
    if (run == "plain")
      opt = std::make_unique<training::SGD>(training::trainable_parameters(*model),
                                            training::SGDOptions{.lr = 0.05, .weight_decay = 0.01});
    else
      opt = std::make_unique<training::SGD>(training::decay_parameter_groups(*model, 0.1),
                                            training::SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true});
    training::LambdaLR sched = run == "plain" ? training::get_constant_schedule(*opt)
                                              : training::get_cosine_schedule_with_warmup(*opt, 2, 10);
    std::vector<double> losses;
    for (int step = 0; step < 10; ++step) {
      opt->zero_grad();
      const Tensor loss = model->forward(in).loss;
      loss.backward();
      if (run == "nesterov") training::clip_grad_norm_(opt->params(), 1.0);
      opt->step();
      sched.step();
      losses.push_back(loss.item());
    }
    EXPECT_TRUE(testcmp::allclose(losses, want.at(run + ".losses").to_vector<double>(), {.atol = 0, .rtol = 1e-4})) << run;
    EXPECT_EQ(expect_final_weights(*model, want, run + ".", false), 28) << run;
  }
}

TEST(Gpt2Accumulation, TwoMicroBatchesPerStepEqualTrainer) {
  const auto g = golden("gpt2_grads.safetensors");
  const auto want = golden("gpt2_accum.safetensors");
  auto model = training_test::gpt2("sdpa");
  training::AdamW opt(training::decay_parameter_groups(*model, 0.1), {.lr = 1e-2});
  training::LambdaLR sched = training::get_linear_schedule_with_warmup(opt, 2, 6);
  const Tensor ids = g.at("input_ids"), mask = g.at("attention_mask"), labels = g.at("labels");
  const int64_t items = training::count_num_items_in_batch({labels.narrow(0, 0, 1), labels.narrow(0, 1, 1)});
  EXPECT_EQ(items, want.at("num_items").to_vector<int64_t>()[0]);
  std::vector<double> losses, norms;
  for (int step = 0; step < 6; ++step) {
    double total = 0;
    for (int64_t r = 0; r < 2; ++r) {  // gradients of the micro-batches add up in the leaves
      ModelInputs in;
      in.input_ids = ids.narrow(0, r, 1);
      in.attention_mask = mask.narrow(0, r, 1);
      in.labels = labels.narrow(0, r, 1);
      in.num_items_in_batch = items;
      const Tensor loss = model->forward(in).loss;
      loss.backward();
      total += loss.item();
    }
    norms.push_back(training::clip_grad_norm_(opt.params(), 1.0));
    opt.step();
    sched.step();
    opt.zero_grad();
    losses.push_back(total);
  }
  EXPECT_TRUE(testcmp::allclose(losses, want.at("losses").to_vector<double>(), {.atol = 0, .rtol = 1e-4}));
  EXPECT_TRUE(testcmp::allclose(norms, want.at("grad_norms").to_vector<double>(), {.atol = 0, .rtol = 1e-4}));
  EXPECT_EQ(expect_final_weights(*model, want, "", true), 28);
}
