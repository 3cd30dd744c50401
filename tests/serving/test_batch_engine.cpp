// serve's continuous-batching engine (src/serving/batch_engine.hpp) on the GPT-2 fixture: jobs
// submitted together run in one batch and each gets what generate() gives its prompt alone; beyond
// max_batch running sequences and max_queue waiting jobs a job is refused; a cancelled choice
// leaves the batch.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "serving/batch_engine.hpp"
#include "serving/serve_fixture.hpp"

namespace {

using namespace transformers;
using serving::BatchEngine;
using serving::Job;

std::shared_ptr<PreTrainedModel> fixture_model() {
  static auto m = AutoModelForCausalLM::from_pretrained((serve_test::kFixtures / "gpt2/model").string());
  return m;
}

SequenceRequest greedy(std::vector<int64_t> prompt, int64_t n) {
  GenerationOptions o;
  o.max_new_tokens = n;
  o.min_new_tokens = n;
  return {.input_ids = std::move(prompt), .options = o, .top_logprobs = std::nullopt};
}

// All tokens of each choice, until every choice finished.
std::vector<std::vector<int64_t>> drain(Job& job) {
  std::vector<std::vector<int64_t>> out(size_t(job.choices()));
  int open = job.choices();
  while (open > 0)
    for (const auto& e : job.wait()) {
      EXPECT_TRUE(e.error.empty()) << e.error;
      out[size_t(e.choice)].push_back(e.step.token);
      if (e.step.finished || !e.error.empty()) --open;
    }
  return out;
}

std::vector<int64_t> alone(const SequenceRequest& r) {
  auto out = generate(*fixture_model(), Tensor::from_vector(r.input_ids, {1, int64_t(r.input_ids.size())}), {}, r.options);
  auto seq = out.sequences.to_vector<int64_t>();
  return {seq.begin() + int64_t(r.input_ids.size()), seq.end()};
}

TEST(BatchEngine, ConcurrentJobsEachGetGenerateAlone) {
  BatchEngine engine(*fixture_model(), 8, 8);
  const std::vector<SequenceRequest> reqs = {greedy({1, 2, 3}, 9), greedy({7, 8, 9, 10, 11, 12, 13}, 4),
                                             greedy({40}, 12), greedy({5, 6, 7, 8, 9}, 7)};
  std::vector<std::shared_ptr<Job>> jobs;
  for (const auto& r : reqs) jobs.push_back(engine.submit({r}, {0}));
  for (size_t i = 0; i < reqs.size(); ++i) {
    ASSERT_TRUE(jobs[i]);
    EXPECT_EQ(drain(*jobs[i])[0], alone(reqs[i])) << "job " << i;
  }
  EXPECT_EQ(engine.running(), 0);
}

// Blocks the engine thread (inside a step) until released.
class Gate : public StoppingCriteria {
 public:
  std::vector<bool> is_done(const TokenRows& rows) const override {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return open; });
    return std::vector<bool>(rows.size(), false);
  }
  std::string name() const override { return "Gate"; }
  void wait_entered() const {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  void release() const {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  mutable bool entered = false, open = false;
};

TEST(BatchEngine, BeyondMaxBatchAndMaxQueueJobsAreRefusedThenQueuedOnesRun) {
  BatchEngine engine(*fixture_model(), 1, 1);
  auto gate = std::make_shared<Gate>();
  SequenceRequest held = greedy({1, 2, 3}, 5);
  held.options.stopping_criteria.push_back(gate);
  auto a = engine.submit({held}, {0});
  ASSERT_TRUE(a);
  gate->wait_entered();  // a is being prefilled: the one running place is taken
  const SequenceRequest next = greedy({4, 5}, 3);
  auto b = engine.submit({next}, {0});
  ASSERT_TRUE(b);                                // waits in the queue (max_queue 1)
  EXPECT_FALSE(engine.submit({next}, {0}));      // refused: 1 running, 1 waiting
  EXPECT_EQ(engine.waiting(), 1);
  gate->release();
  EXPECT_EQ(drain(*a)[0].size(), 5u);
  EXPECT_EQ(drain(*b)[0], alone(next));
}

TEST(BatchEngine, ACancelledChoiceLeavesTheBatch) {
  BatchEngine engine(*fixture_model(), 4, 4);
  auto job = engine.submit({greedy({1, 2, 3}, 50), greedy({3, 2, 1}, 6)}, {0, 1});
  ASSERT_TRUE(job);
  job->cancel(0);
  const SequenceRequest second = greedy({3, 2, 1}, 6);
  std::vector<int64_t> got;
  bool finished = false;
  while (!finished)
    for (const auto& e : job->wait())
      if (e.choice == 1) {
        got.push_back(e.step.token);
        finished = e.step.finished;
      }
  EXPECT_EQ(got, alone(second));
  // the cancelled choice is dropped at the engine's next step at the latest
  for (int i = 0; i < 200 && engine.running() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(engine.running(), 0);
}

}  // namespace
