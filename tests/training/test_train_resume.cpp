// `transformers-cli train --resume checkpoint-N` (Trainer.train(resume_from_checkpoint)): a run
// resumed from a mid-epoch checkpoint prints the uninterrupted run's remaining steps exactly (loss,
// lr, grad_norm bit for bit) and saves the same bytes, with dropout on so the generator state
// matters; a non-finite loss stops naming its step and the last good checkpoint; a broken
// checkpoint is one error line.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("train_resume_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

const std::string kRows = (fs::path(TRANSFORMERS_TEST_DATA_DIR) / "training/train_rows.jsonl").string();
const fs::path kGpt2 = fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf/models/gpt2/model";

// The GPT-2 fixture with every dropout probability at 0.1 (the fixture's are 0).
fs::path gpt2_with_dropout(const fs::path& dir) {
  const fs::path m = dir / "gpt2_dropout";
  fs::create_directories(m);
  std::ifstream in(kGpt2 / "config.json");
  json config = json::parse(in);
  for (const char* k : {"attn_pdrop", "embd_pdrop", "resid_pdrop"}) config[k] = 0.1;
  std::ofstream(m / "config.json") << config.dump(2);
  fs::copy_file(kGpt2 / "model.safetensors", m / "model.safetensors");
  return m;
}

std::vector<json> step_lines(const std::string& out) {
  std::vector<json> steps;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (const json j = json::parse(line); j.contains("step")) steps.push_back(j);
  return steps;
}

std::string bytes(const fs::path& f) {
  std::ifstream in(f, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<std::string> train_args(const fs::path& model, const fs::path& out) {
  // 8 rows in batches of 2: 4 steps an epoch; checkpoint-3 is mid-epoch, step 5 is in the second.
  return {"train", "--model", model.string(), "--train", kRows, "--output", out.string(), "--max-steps", "5",
          "--batch-size", "2", "--save-steps", "3", "--lr", "1e-2", "--warmup-steps", "1", "--weight-decay", "0.1",
          "--seed", "7"};
}

}  // namespace

TEST(TrainResume, ResumedRunRepeatsTheUninterruptedRunExactly) {
  const fs::path dir = fresh_dir("exact");
  const fs::path model = gpt2_with_dropout(dir);
  const auto whole = cli_test::run_cli(train_args(model, dir / "whole"));
  ASSERT_EQ(whole.status, 0) << whole.err;
  const fs::path ckpt = dir / "whole" / "checkpoint-3";
  for (const char* f : {"model.safetensors", "config.json", "optimizer.safetensors", "scheduler.json",
                        "rng_state.json", "trainer_state.json"})
    EXPECT_TRUE(fs::exists(ckpt / f)) << f;
  EXPECT_FALSE(fs::exists(dir / "whole" / "checkpoint-3.tmp"));
  std::ifstream st(ckpt / "trainer_state.json");
  const json state = json::parse(st);
  EXPECT_EQ(state.at("global_step").get<int>(), 3);
  EXPECT_EQ(state.at("log_history").size(), 3u);

  auto args = train_args(model, dir / "resumed");
  args.insert(args.end(), {"--resume", ckpt.string()});
  const auto resumed = cli_test::run_cli(args);
  ASSERT_EQ(resumed.status, 0) << resumed.err;

  const std::vector<json> a = step_lines(whole.out), b = step_lines(resumed.out);
  ASSERT_EQ(a.size(), 5u) << whole.out;
  ASSERT_EQ(b.size(), 2u) << resumed.out;
  for (size_t i = 0; i < b.size(); ++i) {
    const json& w = a[i + 3];
    EXPECT_EQ(b[i].at("step"), w.at("step"));
    // Exactly: the same doubles, not merely close ones.
    for (const char* k : {"loss", "lr", "grad_norm", "epoch"})
      EXPECT_EQ(b[i].at(k).get<double>(), w.at(k).get<double>()) << k << " at step " << w.at("step");
  }
  // Dropout is on (the generator state is part of what resuming restores).
  EXPECT_NE(a[3].at("loss").get<double>(), a[4].at("loss").get<double>());
  EXPECT_EQ(bytes(dir / "whole" / "model.safetensors"), bytes(dir / "resumed" / "model.safetensors"));
  fs::remove_all(dir);
}

TEST(TrainResume, ANonFiniteLossStopsNamingTheStepAndKeepsTheLastCheckpoint) {
  const fs::path dir = fresh_dir("nan");
  // lr 1e30 without clipping: step 1's update blows the weights up, step 2's loss is NaN.
  const auto r = cli_test::run_cli({"train", "--model", kGpt2.string(), "--train", kRows, "--output",
                                    (dir / "out").string(), "--max-steps", "4", "--batch-size", "2", "--save-steps",
                                    "1", "--lr", "1e30", "--max-grad-norm", "0"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("the loss at step 2 is nan"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("checkpoint-1"), std::string::npos) << r.err;
  EXPECT_EQ(step_lines(r.out).size(), 1u) << r.out;
  EXPECT_TRUE(fs::exists(dir / "out" / "checkpoint-1" / "trainer_state.json"));
  EXPECT_FALSE(fs::exists(dir / "out" / "checkpoint-2"));
  EXPECT_FALSE(fs::exists(dir / "out" / "model.safetensors"));  // no final save of NaN weights
  fs::remove_all(dir);
}

TEST(TrainResume, ABrokenCheckpointIsOneErrorLineNamingTheFile) {
  const fs::path dir = fresh_dir("broken");
  const auto first = cli_test::run_cli({"train", "--model", kGpt2.string(), "--train", kRows, "--output",
                                        (dir / "run").string(), "--max-steps", "1", "--batch-size", "2",
                                        "--save-steps", "1"});
  ASSERT_EQ(first.status, 0) << first.err;
  const fs::path good = dir / "run" / "checkpoint-1";
  struct Case {
    std::string file, content, needle;
  };
  const std::vector<Case> cases{
      {"", "", "does not exist"},
      {"rng_state.json", "{\"cpu\": \"1 2 3\"}", "rng_state.json: \"cpu\" is not a generator state"},
      {"scheduler.json", "{\"last_epoch\": 1}", "scheduler.json: \"base_lrs\" is missing"},
      {"optimizer.safetensors", "", "optimizer.safetensors"},
  };
  int n = 0;
  for (const Case& c : cases) {
    const fs::path ckpt = dir / ("ckpt" + std::to_string(n++));
    if (!c.file.empty()) {
      fs::copy(good, ckpt);
      if (c.content.empty()) fs::remove(ckpt / c.file);
      else std::ofstream(ckpt / c.file) << c.content;
    }
    const auto r = cli_test::run_cli({"train", "--model", kGpt2.string(), "--train", kRows, "--output",
                                      (dir / "out").string(), "--max-steps", "2", "--batch-size", "2", "--resume",
                                      ckpt.string()});
    EXPECT_EQ(r.status, 1) << c.file;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
  }
  EXPECT_EQ(n, 4);
  fs::remove_all(dir);
}
