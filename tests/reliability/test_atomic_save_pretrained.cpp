// Kill-during-save for PreTrainedModel::save_pretrained (modeling layer): a gpt2 checkpoint saved
// with max_shard_size="30KB" (3 shards) over an older complete one, the child SIGKILLed at random
// points. See test_atomic_save.cpp and docs/reliability.md for the guarantee.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "kill_during_save.hpp"
#include "transformers/modeling/auto.hpp"

namespace reliability {
namespace {

using namespace transformers;
using Clock = std::chrono::steady_clock;

io::NamedTensors saved(const fs::path& d) { return io::open_checkpoint(d).tensors; }

void run_scenario(const std::string& what, const std::string& old_shard, const std::string& new_shard, int iterations,
                  bool expect_no_loud) {
  // Old: the float32 fixture. New: the bf16 fixture loaded as float32 (same names and shapes,
  // other bytes).
  auto old_model = AutoModelForCausalLM::from_pretrained((models() / "gpt2" / "model").string());
  auto new_model = AutoModelForCausalLM::from_pretrained((models() / "gpt2" / "bf16").string(),
                                                         {.torch_dtype = DType::Float32});
  TempDir ref_old, ref_new;
  old_model->save_pretrained(ref_old.path.string(), {.max_shard_size = old_shard});
  new_model->save_pretrained(ref_new.path.string(), {.max_shard_size = new_shard});
  const auto old_t = saved(ref_old.path), new_t = saved(ref_new.path);

  int64_t save_us = 0;
  {
    TempDir probe;
    copy_folder(ref_old.path, probe.path);
    const auto t0 = Clock::now();
    new_model->save_pretrained(probe.path.string(), {.max_shard_size = new_shard});
    save_us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
    ASSERT_EQ(classify([&] { return saved(probe.path); }, old_t, new_t), Verdict::New);
    EXPECT_NO_THROW(AutoModelForCausalLM::from_pretrained(probe.path.string())) << "a finished save must load";
  }
  std::mt19937 rng(7);
  std::map<Verdict, int> by;
  int killed = 0;
  for (int i = 0; i < iterations; ++i) {
    TempDir d;
    copy_folder(ref_old.path, d.path);
    const auto delay = std::chrono::microseconds(std::uniform_int_distribution<int64_t>(0, save_us * 13 / 10 + 500)(rng));
    killed += save_and_kill([&] { new_model->save_pretrained(d.path.string(), {.max_shard_size = new_shard}); }, delay);
    std::string detail;
    const Verdict v = classify([&] { return saved(d.path); }, old_t, new_t, &detail);
    by[v]++;
    EXPECT_NE(v, Verdict::SilentMix) << what << ", kill after " << delay.count() << " us: " << detail;
    if (expect_no_loud) EXPECT_NE(v, Verdict::Loud) << what << ": the old checkpoint was lost: " << detail;
  }
  std::string s;
  for (auto& [v, n] : by) s += std::string(verdict_name(v)) + ": " + std::to_string(n) + "; ";
  std::printf("[reliability] save_pretrained %s: ~%lld us per save, %d kills (%d mid-save): %s\n", what.c_str(),
              (long long)save_us, iterations, killed, s.c_str());
}

TEST(AtomicSavePretrained, SameShardNames) { run_scenario("3 shards over 3 shards", "30KB", "30KB", 30, false); }
TEST(AtomicSavePretrained, DifferentShardNames) { run_scenario("2 shards over 3 shards", "30KB", "50KB", 20, true); }

}  // namespace
}  // namespace reliability
