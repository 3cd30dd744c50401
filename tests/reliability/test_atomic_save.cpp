// Kill-during-save: a child process saving a multi-shard checkpoint over an older complete one is
// killed with SIGKILL at random points; the folder must then hold the complete old checkpoint,
// the complete new one, or refuse to load with a typed error. A mix of old and new shards that
// loads silently is the failure this test exists for. (The guarantee, and why, is in
// docs/reliability.md.)
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "kill_during_save.hpp"
#include "transformers/io/checkpoint.hpp"

namespace reliability {
namespace {

using namespace transformers;
using Clock = std::chrono::steady_clock;

// The gpt2 fixture's tensors, and the same names with every float value changed (so old and new
// shards with the same names are told apart by their bytes).
io::NamedTensors old_tensors() {
  io::NamedTensors out;
  for (auto& [n, t] : io::open_checkpoint(models() / "gpt2" / "sharded").tensors) out.emplace_back(n, t.clone());
  return out;
}
io::NamedTensors new_tensors(const io::NamedTensors& old) {
  io::NamedTensors out;
  for (auto& [n, t] : old) {
    Tensor c = t.clone();
    if (c.dtype() == DType::Float32) {
      float* p = static_cast<float*>(c.mutable_data_ptr());
      for (int64_t i = 0; i < c.numel(); ++i) p[i] = p[i] * 2.0f + 1.0f;
    }
    out.emplace_back(n, c);
  }
  return out;
}

struct Counts {
  std::map<Verdict, int> by;
  int killed = 0, temp_left = 0;
  std::string summary() const {
    std::string s;
    for (auto& [v, n] : by) s += std::string(verdict_name(v)) + ": " + std::to_string(n) + "; ";
    return s + "killed mid-save: " + std::to_string(killed) + ", folders with temp files left: " + std::to_string(temp_left);
  }
};

// Runs `iterations` kill points spread over [0, 1.3 x the measured save time].
Counts run_kills(const std::string& what, const std::function<void(const fs::path&)>& prepare_old,
                 const std::function<void(const fs::path&)>& save_new,
                 const std::function<io::NamedTensors(const fs::path&)>& load, const io::NamedTensors& old_t,
                 const io::NamedTensors& new_t, int iterations) {
  // How long one save takes here (the kill delays are spread over it).
  TempDir probe;
  prepare_old(probe.path);
  const auto t0 = Clock::now();
  save_new(probe.path);
  const auto save_us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
  EXPECT_EQ(classify([&] { return load(probe.path); }, old_t, new_t), Verdict::New) << what << ": a finished save";

  std::mt19937 rng(42);
  Counts c;
  for (int i = 0; i < iterations; ++i) {
    TempDir d;
    prepare_old(d.path);
    // Child start-up (fork) adds ~0.1-1 ms before the save begins.
    const auto delay = std::chrono::microseconds(
        std::uniform_int_distribution<int64_t>(0, save_us * 13 / 10 + 500)(rng));
    c.killed += save_and_kill([&] { save_new(d.path); }, delay);
    std::string detail;
    const Verdict v = classify([&] { return load(d.path); }, old_t, new_t, &detail);
    c.by[v]++;
    c.temp_left += temp_files(d.path) > 0;
    EXPECT_NE(v, Verdict::SilentMix) << what << ", kill after " << delay.count() << " us of a " << save_us
                                     << " us save: " << detail;
  }
  std::printf("[reliability] %s: save %lld us, %d kills: %s\n", what.c_str(), (long long)save_us, iterations,
              c.summary().c_str());
  return c;
}

TEST(AtomicSave, SaveStateDictSameShardLayout) {
  // The old checkpoint is written by the same code with the same tensor order, so old and new
  // shards have the same names and hold the same tensor names: only their bytes differ.
  const auto old_t = old_tensors();
  const auto new_t = new_tensors(old_t);
  auto counts = run_kills(
      "io::save_state_dict 3 shards over 3 shards (same names)",
      [&](const fs::path& d) { io::save_state_dict(d, old_t, {.max_shard_size = std::string("30KB")}); },
      [&](const fs::path& d) { io::save_state_dict(d, new_t, {.max_shard_size = std::string("30KB")}); },
      [](const fs::path& d) { return io::open_checkpoint(d).tensors; }, old_t, new_t, 40);
  EXPECT_GT(counts.killed, 0) << "no kill landed inside a save: the delays do not cover it";
}

TEST(AtomicSave, SaveStateDictOverHuggingFaceShards) {
  // The old checkpoint is Hugging Face's own 3 shards (another tensor order, so the same file names
  // hold other tensors).
  const auto old_t = old_tensors();
  const auto new_t = new_tensors(old_t);
  run_kills(
      "io::save_state_dict 3 shards over HF's 3 shards",
      [](const fs::path& d) { copy_folder(models() / "gpt2" / "sharded", d); },
      [&](const fs::path& d) { io::save_state_dict(d, new_t, {.max_shard_size = std::string("30KB")}); },
      [](const fs::path& d) { return io::open_checkpoint(d).tensors; }, old_t, new_t, 30);
}

TEST(AtomicSave, SaveStateDictDifferentShardCount) {
  const auto old_t = old_tensors();
  const auto new_t = new_tensors(old_t);
  // New shard names differ from the old ones: the old checkpoint must stay complete until the new
  // index lands (stale shards are only removed after it), so no kill may leave an unloadable folder.
  auto counts = run_kills(
      "io::save_state_dict 2 shards over 3 shards",
      [](const fs::path& d) { copy_folder(models() / "gpt2" / "sharded", d); },
      [&](const fs::path& d) { io::save_state_dict(d, new_t, {.max_shard_size = std::string("50KB")}); },
      [](const fs::path& d) { return io::open_checkpoint(d).tensors; }, old_t, new_t, 30);
  EXPECT_EQ(counts.by[Verdict::Loud], 0) << "a kill left neither the old nor the new checkpoint loadable";
}

TEST(AtomicSave, SaveStateDictSingleFileOverSingleFile) {
  const auto old_t = old_tensors();
  const auto new_t = new_tensors(old_t);
  auto counts = run_kills(
      "io::save_state_dict 1 file over 1 file",
      [&](const fs::path& d) { io::save_state_dict(d, old_t); },
      [&](const fs::path& d) { io::save_state_dict(d, new_t); },
      [](const fs::path& d) { return io::open_checkpoint(d).tensors; }, old_t, new_t, 20);
  EXPECT_EQ(counts.by[Verdict::Loud], 0) << "one file replaced by rename: always old or new";
}

}  // namespace
}  // namespace reliability
