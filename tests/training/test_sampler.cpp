// Trainer's training order: seeded_random_order against the order 4.51 Trainer's train dataloader
// yields (tests/oracle/make_sampler_order_case.py: seeds 42 / 7 / 3 over 8 / 10 / 1000 rows, three
// epochs each, accelerate's SeedableRandomSampler with set_epoch as the training loop calls it).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"
#include "transformers/core/error.hpp"
#include "transformers/training/trainer_pt_utils.hpp"

using namespace transformers;

TEST(TrainSampler, EpochOrdersEqualTrainersDataloader) {
  std::ifstream in(std::filesystem::path(TRANSFORMERS_TEST_DATA_DIR) / "training/sampler_order.json");
  const nlohmann::json cases = nlohmann::json::parse(in).at("cases");
  int checked = 0;
  for (const auto& c : cases) {
    const auto epochs = c.at("epochs");
    for (size_t e = 0; e < epochs.size(); ++e, ++checked)
      EXPECT_EQ(training::seeded_random_order(c.at("rows"), c.at("seed"), int64_t(e)),
                epochs[e].get<std::vector<int64_t>>())
          << "seed " << c.at("seed") << " epoch " << e;
  }
  EXPECT_EQ(checked, 9);
  EXPECT_TRUE(training::seeded_random_order(0, 1, 0).empty());
  EXPECT_THROW(training::seeded_random_order(int64_t(1) << 40, 1, 0), ValueError);
}

// `train` (shuffling by default) on the rows takes the batches --no-shuffle takes on the rows written
// in Trainer's epoch-0 order (the oracle's seed 42 over 8 rows): the same losses, exactly.
TEST(TrainSampler, TrainCommandTakesTrainersOrder) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("train_sampler_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ifstream cases_in(fs::path(TRANSFORMERS_TEST_DATA_DIR) / "training/sampler_order.json");
  const auto order = nlohmann::json::parse(cases_in).at("cases").at(0).at("epochs").at(0).get<std::vector<int64_t>>();
  const std::string rows_file = (fs::path(TRANSFORMERS_TEST_DATA_DIR) / "training/train_rows.jsonl").string();
  std::vector<std::string> rows;
  {
    std::ifstream in(rows_file);
    for (std::string line; std::getline(in, line);) rows.push_back(line);
  }
  ASSERT_EQ(rows.size(), order.size());
  {
    std::ofstream out(dir / "ordered.jsonl");
    for (int64_t i : order) out << rows[size_t(i)] << "\n";
  }
  auto losses = [&](const std::string& file, bool shuffle) {
    std::vector<std::string> args{"train", "--model",
                                  (fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf/models/gpt2/model").string(),
                                  "--train", file, "--output", (dir / "out").string(), "--max-steps", "4",
                                  "--batch-size", "2", "--lr", "1e-2", "--seed", "42"};
    if (!shuffle) args.push_back("--no-shuffle");
    const auto r = cli_test::run_cli(args);
    EXPECT_EQ(r.status, 0) << r.err;
    std::vector<double> out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);)
      if (const auto j = nlohmann::json::parse(line); j.contains("step")) out.push_back(j.at("loss").get<double>());
    return out;
  };
  const std::vector<double> shuffled = losses(rows_file, true), ordered = losses((dir / "ordered.jsonl").string(), false);
  ASSERT_EQ(shuffled.size(), 4u);
  EXPECT_EQ(shuffled, ordered);
  EXPECT_NE(shuffled, losses(rows_file, false));  // file order differs
  fs::remove_all(dir);
}
