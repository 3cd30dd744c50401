// bf16 mixed precision (Trainer's --bf16 on CPU: the forward under torch.autocast("cpu", bfloat16),
// float32 master weights) against PyTorch (tests/oracle/make_bf16_cases.py): the 20 AdamW steps of
// Gpt2Training.TwentyAdamWSteps... with the forward under ops::AutocastGuard.
//
// Bounds: in PyTorch itself the autocast run's losses are within 0.93 % of the float32 run's
// (printed by the oracle). bf16 rounds differently in each implementation (our bf16 products
// accumulate in float32 like torch's, but the composed attention and element-wise ops round at other
// places), and the two runs drift apart as the loss falls from 5.2 to 0.03: measured, ours is within
// 2.02 % of PyTorch's autocast losses (worst at step 10, loss 0.26) and 1.62 % of our float32 run.
// Asserted: 3 % of PyTorch's autocast losses and 2 % of PyTorch's float32 losses at every step, and a
// difference from our own float32 run above float32 rounding (the bf16 products really ran).
#include <gtest/gtest.h>

#include <cmath>

#include "common/compare.hpp"
#include "training/training_helpers.hpp"
#include "transformers/core/autograd.hpp"
#include "transformers/ops/autocast.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/loss.hpp"
#include "transformers/ops/matmul.hpp"
#include "transformers/training/optimization.hpp"

using namespace transformers;

namespace {
// 20 steps as the oracle runs them; bf16: the forward under autocast. Losses and grad norms.
std::pair<std::vector<double>, std::vector<double>> twenty_steps(bool bf16) {
  const auto g = training_test::golden("gpt2_grads.safetensors");
  auto model = training_test::gpt2("sdpa");
  const ModelInputs in = training_test::batch(g);
  std::vector<Tensor> params = training::trainable_parameters(*model);
  training::AdamW opt(params, {.lr = 1e-2, .weight_decay = 0.01});
  training::LambdaLR sched = training::get_linear_schedule_with_warmup(opt, 5, 20);
  std::vector<double> losses, norms;
  for (int step = 0; step < 20; ++step) {
    opt.zero_grad();
    Tensor loss;
    {
      ops::AutocastGuard autocast(bf16 ? std::optional<DType>(DType::BFloat16) : std::nullopt);
      loss = model->forward(in).loss;
    }
    EXPECT_EQ(loss.dtype(), DType::Float32);
    loss.backward();
    for (const Tensor& p : params) EXPECT_EQ(p.grad().dtype(), DType::Float32);  // master weights' gradients
    norms.push_back(training::clip_grad_norm_(params, 1.0));
    opt.step();
    sched.step();
    losses.push_back(loss.item());
  }
  return {losses, norms};
}
}  // namespace

TEST(Bf16Training, TwentyAutocastStepsFollowPyTorchsAutocastRun) {
  const auto want = training_test::golden("gpt2_adamw_bf16.safetensors");
  const std::vector<double> torch_bf16 = want.at("losses").to_vector<double>();
  const std::vector<double> torch_f32 = want.at("losses_f32").to_vector<double>();
  const auto [bf16, norms] = twenty_steps(true);
  const auto [f32, norms32] = twenty_steps(false);
  ASSERT_EQ(bf16.size(), 20u);
  ASSERT_EQ(torch_bf16.size(), 20u);
  EXPECT_TRUE(testcmp::allclose(bf16, torch_bf16, {.atol = 0, .rtol = 3e-2}));
  EXPECT_TRUE(testcmp::allclose(bf16, torch_f32, {.atol = 0, .rtol = 2e-2}));
  EXPECT_TRUE(testcmp::allclose(f32, torch_f32, {.atol = 0, .rtol = 1e-4}));
  double worst_torch = 0, worst_f32 = 0;
  for (size_t i = 0; i < bf16.size(); ++i) {
    worst_torch = std::max(worst_torch, std::abs(bf16[i] - torch_bf16[i]) / torch_bf16[i]);
    worst_f32 = std::max(worst_f32, std::abs(bf16[i] - f32[i]) / f32[i]);
  }
  EXPECT_GT(worst_f32, 1e-4);  // the bf16 products really ran
  std::printf("bf16 autocast: worst relative loss difference vs PyTorch autocast %.3g, vs our float32 %.3g\n",
              worst_torch, worst_f32);
}

TEST(Bf16Training, AutocastCastsOnlyItsListsAndRestores) {
  const Tensor a = Tensor::ones({2, 3}, DType::Float32), b = Tensor::ones({3, 2}, DType::Float32);
  {
    ops::AutocastGuard guard(DType::BFloat16);
    EXPECT_EQ(ops::autocast_dtype(), std::optional<DType>(DType::BFloat16));
    EXPECT_EQ(ops::autocast_lower(a).dtype(), DType::BFloat16);
    EXPECT_EQ(ops::autocast_lower(a.to(DType::Float64)).dtype(), DType::Float64);  // float64 stays
    EXPECT_EQ(ops::autocast_float32(a.to(DType::BFloat16)).dtype(), DType::Float32);
    EXPECT_EQ(ops::matmul(a, b).dtype(), DType::BFloat16);                // lower-precision list
    EXPECT_EQ(ops::linear(a, b.t(), Tensor()).dtype(), DType::BFloat16);
    const Tensor target = Tensor::from_vector(std::vector<int64_t>{0, 2}, {2});
    EXPECT_EQ(ops::cross_entropy(a.to(DType::BFloat16), target).dtype(), DType::Float32);  // float32 list
    EXPECT_EQ(ops::add(a, a).dtype(), DType::Float32);                    // neither: as the inputs
    {
      ops::AutocastGuard off(std::nullopt);
      EXPECT_FALSE(ops::autocast_dtype().has_value());
    }
    EXPECT_TRUE(ops::autocast_dtype().has_value());
  }
  EXPECT_FALSE(ops::autocast_dtype().has_value());
  EXPECT_EQ(ops::matmul(a, b).dtype(), DType::Float32);
  EXPECT_THROW(ops::AutocastGuard bad(DType::Float32), ValueError);
}
