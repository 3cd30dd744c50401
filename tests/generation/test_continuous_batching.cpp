// ContinuousBatch on the tiny GPT-2 and Llama fixtures: sequences of different prompt lengths that
// join a running batch at different steps and leave it when done generate exactly what generate()
// gives each prompt alone (greedy, and sampling with each sequence's own seeded generator).
#include <gtest/gtest.h>

#include <map>

#include "generation_test_utils.hpp"
#include "transformers/generation/continuous_batching.hpp"
#include "transformers/ops/random.hpp"

using namespace transformers;
using namespace gentest;

namespace {

struct Case {
  std::string arch, attn;
};

class ContinuousBatching : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    register_all_models();
    const ModelClassInfo* info = find_model_class(causal_lm_class(GetParam().arch));
    ASSERT_TRUE(info) << causal_lm_class(GetParam().arch) << " is not registered";
    FromPretrainedOptions opts;
    opts.attn_implementation = GetParam().attn;
    model = load_pretrained_model(info->factory, info->class_name, fixture_model_dir(GetParam().arch), opts);
  }
  std::shared_ptr<PreTrainedModel> model;
};

// Four prompts of 3, 11, 6 and 17 tokens with different budgets (one ends after its first token).
const std::vector<std::vector<int64_t>> kPrompts = {
    {5, 9, 14}, {3, 8, 21, 30, 7, 12, 40, 41, 2, 19, 22}, {17, 4, 33, 6, 28, 11}, {
        9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25}};
const std::vector<int64_t> kMaxNew = {12, 7, 1, 15};

GenerationOptions options_for(size_t i, bool sample, ops::Generator* gen) {
  GenerationOptions o;
  o.max_new_tokens = kMaxNew[i];
  o.min_new_tokens = kMaxNew[i];  // no early eos: the rows' lengths (and so who runs beside whom) are known
  o.pad_token_id = 0;
  if (sample) {
    o.do_sample = true;
    o.temperature = 0.8;
    o.top_k = 0;
    o.top_p = 0.95;
  }
  o.generator = gen;
  return o;
}

std::vector<int64_t> alone(PreTrainedModel& model, size_t i, bool sample, uint64_t seed) {
  ops::Generator gen(seed);
  auto out = generate(model, Tensor::from_vector(kPrompts[i], {1, int64_t(kPrompts[i].size())}), {},
                      options_for(i, sample, &gen));
  auto seq = out.sequences.to_vector<int64_t>();
  return {seq.begin() + int64_t(kPrompts[i].size()), seq.end()};
}

// Sequence 0 starts alone, 1 joins after two steps, 2 and 3 after the third; every step after that
// advances all running rows together until each leaves.
std::vector<std::vector<int64_t>> batched(PreTrainedModel& model, bool sample, int64_t& widest) {
  std::vector<std::unique_ptr<ops::Generator>> gens;
  for (size_t i = 0; i < kPrompts.size(); ++i) gens.push_back(std::make_unique<ops::Generator>(1000 + i));
  ContinuousBatch batch(model);
  std::map<int64_t, size_t> which;
  std::vector<std::vector<int64_t>> got(kPrompts.size());
  auto add = [&](size_t i) {
    SequenceStep s = batch.add({.input_ids = kPrompts[i], .options = options_for(i, sample, gens[i].get())});
    which[s.id] = i;
    got[i].push_back(s.token);
  };
  auto step = [&] {
    for (const SequenceStep& s : batch.step()) got[which.at(s.id)].push_back(s.token);
    widest = std::max(widest, batch.size());
  };
  add(0);
  step();
  step();
  add(1);
  step();
  add(2);
  add(3);
  widest = std::max(widest, batch.size());
  while (batch.size() > 0) step();
  return got;
}

TEST_P(ContinuousBatching, GreedyRowsEqualGenerateAlone) {
  int64_t widest = 0;
  const auto got = batched(*model, false, widest);
  EXPECT_EQ(widest, 3);  // 0, 1 and 3 ran together (2 finished at its prefill)
  ASSERT_EQ(got.size(), 4u);
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    EXPECT_EQ(int64_t(got[i].size()), kMaxNew[i]) << "sequence " << i;
    EXPECT_EQ(got[i], alone(*model, i, false, 0)) << "sequence " << i;
  }
}

// Eight rows at once (past the few-row GEMV, so the step's projections are one GEMM over the rows).
TEST_P(ContinuousBatching, EightRowsInOneGemmEqualGenerateAlone) {
  ContinuousBatch batch(*model);
  std::map<int64_t, size_t> which;
  std::vector<std::vector<int64_t>> prompts, got(8);
  for (size_t i = 0; i < 8; ++i) {
    std::vector<int64_t> p;
    for (size_t t = 0; t < 2 + i * 3; ++t) p.push_back(int64_t((i * 13 + t * 7) % 50 + 3));
    prompts.push_back(p);
    GenerationOptions o = options_for(0, false, nullptr);
    const SequenceStep s = batch.add({.input_ids = p, .options = o});
    which[s.id] = i;
    got[i].push_back(s.token);
  }
  EXPECT_EQ(batch.size(), 8);
  while (batch.size() > 0)
    for (const SequenceStep& s : batch.step()) got[which.at(s.id)].push_back(s.token);
  for (size_t i = 0; i < 8; ++i) {
    auto out = generate(*model, Tensor::from_vector(prompts[i], {1, int64_t(prompts[i].size())}), {},
                        options_for(0, false, nullptr));
    auto seq = out.sequences.to_vector<int64_t>();
    EXPECT_EQ(got[i], std::vector<int64_t>(seq.begin() + int64_t(prompts[i].size()), seq.end())) << "row " << i;
  }
}

// Ten requests joining at once (add_all, as serve admits a burst): the nine valid prompts of
// different lengths are prefilled together in length groups (17, 17, 16, 15, 11, 9 and 6 tokens in
// one left-padded forward, 5 and 3 in another), then decode together; each row's greedy tokens
// equal generate() on its prompt alone. The empty prompt fails alone.
TEST_P(ContinuousBatching, BurstPrefilledTogetherEqualsGenerateAlone) {
  const std::vector<size_t> lens = {3, 11, 17, 6, 16, 0, 5, 9, 17, 15};
  std::vector<std::vector<int64_t>> prompts;
  std::vector<SequenceRequest> requests;
  for (size_t i = 0; i < lens.size(); ++i) {
    std::vector<int64_t> p;
    for (size_t t = 0; t < lens[i]; ++t) p.push_back(int64_t((i * 17 + t * 5) % 60 + 2));
    prompts.push_back(p);
    GenerationOptions o = options_for(0, false, nullptr);
    o.max_new_tokens = o.min_new_tokens = int64_t(3 + i % 4);
    requests.push_back({.input_ids = p, .options = o});
  }
  ContinuousBatch batch(*model);
  const std::vector<ContinuousBatch::Added> added = batch.add_all(requests);
  ASSERT_EQ(added.size(), lens.size());
  EXPECT_EQ(batch.size(), int64_t(lens.size()) - 1);
  std::map<int64_t, size_t> which;
  std::vector<std::vector<int64_t>> got(lens.size());
  int64_t next_id = 0;
  for (size_t i = 0; i < lens.size(); ++i) {
    if (lens[i] == 0) {
      ASSERT_TRUE(added[i].error);
      EXPECT_THROW(std::rethrow_exception(added[i].error), ShapeError);
      continue;
    }
    ASSERT_FALSE(added[i].error) << "request " << i;
    EXPECT_EQ(added[i].first.id, next_id++);  // ids in request order
    which[added[i].first.id] = i;
    got[i].push_back(added[i].first.token);
  }
  while (batch.size() > 0)
    for (const SequenceStep& s : batch.step()) got[which.at(s.id)].push_back(s.token);
  int64_t compared = 0;
  for (size_t i = 0; i < lens.size(); ++i) {
    if (lens[i] == 0) continue;
    auto out = generate(*model, Tensor::from_vector(prompts[i], {1, int64_t(prompts[i].size())}), {},
                        requests[i].options);
    auto seq = out.sequences.to_vector<int64_t>();
    EXPECT_EQ(got[i], std::vector<int64_t>(seq.begin() + int64_t(prompts[i].size()), seq.end())) << "request " << i;
    ++compared;
  }
  EXPECT_EQ(compared, 9);
}

TEST_P(ContinuousBatching, SeededSamplingRowsEqualGenerateAlone) {
  int64_t widest = 0;
  const auto got = batched(*model, true, widest);
  for (size_t i = 0; i < kPrompts.size(); ++i) EXPECT_EQ(got[i], alone(*model, i, true, 1000 + i)) << "sequence " << i;
}

TEST_P(ContinuousBatching, RemovedRowLeavesTheOthersExact) {
  ContinuousBatch batch(*model);
  std::vector<int64_t> a{batch.add({.input_ids = kPrompts[1], .options = options_for(1, false, nullptr)}).token};
  const int64_t b_id = batch.add({.input_ids = kPrompts[3], .options = options_for(3, false, nullptr)}).id;
  batch.step();
  EXPECT_TRUE(batch.remove(b_id));
  EXPECT_FALSE(batch.remove(b_id));
  EXPECT_EQ(batch.size(), 1);
  a = batch.sequence(0);
  while (batch.size() > 0) {
    const auto steps = batch.step();
    ASSERT_EQ(steps.size(), 1u);
    a.push_back(steps[0].token);
  }
  const std::vector<int64_t> want = alone(*model, 1, false, 0);
  EXPECT_EQ(std::vector<int64_t>(a.begin() + int64_t(kPrompts[1].size()), a.end()), want);
}

TEST_P(ContinuousBatching, LogprobsAreLogSoftmaxOfTheRawLogits) {
  ContinuousBatch batch(*model);
  SequenceStep s = batch.add({.input_ids = kPrompts[0], .options = options_for(0, false, nullptr), .top_logprobs = 3});
  ASSERT_EQ(s.top.size(), 3u);
  // greedy: the chosen token is the most likely one
  EXPECT_EQ(s.top[0].token, s.token);
  EXPECT_EQ(s.chosen.logprob, s.top[0].logprob);
  EXPECT_GE(s.top[0].logprob, s.top[1].logprob);
  EXPECT_GE(s.top[1].logprob, s.top[2].logprob);
  auto out = model->forward({.input_ids = Tensor::from_vector(kPrompts[0], {1, 3})});
  const auto logits = out.logits.select(1, 2).to_vector<float>();
  std::vector<float> lp(logits.size());
  generation_detail::log_softmax_row(logits.data(), lp.data(), int64_t(lp.size()));
  EXPECT_NEAR(s.chosen.logprob, lp[size_t(s.token)], 2e-5);
}

TEST_P(ContinuousBatching, BadRequestsAreTypedErrorsAndAddNothing) {
  ContinuousBatch batch(*model);
  EXPECT_THROW(batch.add({.input_ids = {}}), ShapeError);
  EXPECT_THROW(batch.add({.input_ids = {1, 2}, .options = {.num_beams = 2}}), UnsupportedError);
  EXPECT_EQ(batch.size(), 0);
  EXPECT_TRUE(batch.step().empty());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ContinuousBatching,
                         ::testing::Values(Case{"gpt2", "eager"}, Case{"gpt2", "sdpa"}, Case{"llama", "eager"},
                                           Case{"llama", "sdpa"}),
                         [](const auto& info) { return info.param.arch + "_" + info.param.attn; });

}  // namespace
