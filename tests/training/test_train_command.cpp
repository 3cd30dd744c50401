// `transformers-cli train` against the same loop in PyTorch (tests/oracle/make_train_cli_case.py:
// 4.51 Trainer's causal-LM steps written out in torch, rows in file order, hence --no-shuffle): 4 optimizer steps of
// batch 2 x accumulation 2 over 8 rows (2 epochs), AdamW with Trainer's decay groups, cosine
// schedule with warmup, clipping. Per-step loss and grad_norm within 1e-4 relative, lr to 1e-12,
// the saved model's and checkpoint-2's weights within 1e-5 relative to each tensor's norm.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cli/cli_runner.hpp"
#include "common/compare.hpp"
#include "training/training_helpers.hpp"

using namespace transformers;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("train_cmd_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

const std::string kRows = (fs::path(TRANSFORMERS_TEST_DATA_DIR) / "training/train_rows.jsonl").string();
const std::string kGpt2 = (fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf/models/gpt2/model").string();

// Saved weights against the golden `<prefix><name>`; returns how many were compared.
int expect_saved_weights(const fs::path& file, const std::map<std::string, Tensor>& want, const std::string& prefix) {
  std::map<std::string, Tensor> got;
  for (auto& [k, v] : io::load_safetensors(file)) got[k] = v;
  int checked = 0;
  for (auto& [key, w] : want) {
    if (!key.starts_with(prefix)) continue;
    const std::string name = key.substr(prefix.size());
    const auto it = got.find(name);
    EXPECT_NE(it, got.end()) << file << " lacks " << name;
    if (it == got.end()) continue;
    const Tensor a = training_test::comparable_after_adamw(name, it->second);
    const Tensor b = training_test::comparable_after_adamw(name, w);
    EXPECT_LE(training_test::relative_to_norm(a, b), 1e-5) << file << " " << name;
    ++checked;
  }
  return checked;
}

}  // namespace

TEST(TrainCommand, StepsAndSavedWeightsEqualTheSameLoopInPyTorch) {
  const auto want = training_test::golden("train_cli.safetensors");
  const fs::path out = fresh_dir("gpt2");
  const auto r = cli_test::run_cli({"train", "--model", kGpt2, "--train", kRows, "--output", out.string(),
                                    "--max-steps", "4", "--batch-size", "2", "--grad-accum", "2", "--lr", "1e-2",
                                    "--scheduler", "cosine", "--warmup-steps", "1", "--weight-decay", "0.1",
                                    "--max-grad-norm", "1.0", "--save-steps", "2", "--no-shuffle"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<double> losses, norms, lrs;
  std::istringstream lines(r.out);
  json summary;
  for (std::string line; std::getline(lines, line);) {
    const json j = json::parse(line);
    if (!j.contains("step")) {
      summary = j;
      continue;
    }
    EXPECT_EQ(j.at("step").get<int>(), int(losses.size()) + 1);
    losses.push_back(j.at("loss").get<double>());
    norms.push_back(j.at("grad_norm").get<double>());
    lrs.push_back(j.at("lr").get<double>());
    EXPECT_GT(j.at("tokens_per_s").get<double>(), 0);
  }
  ASSERT_EQ(losses.size(), 4u) << r.out;
  EXPECT_TRUE(testcmp::allclose(losses, want.at("losses").to_vector<double>(), {.atol = 0, .rtol = 1e-4}));
  EXPECT_TRUE(testcmp::allclose(norms, want.at("grad_norms").to_vector<double>(), {.atol = 0, .rtol = 1e-4}));
  EXPECT_TRUE(testcmp::allclose(lrs, want.at("lrs").to_vector<double>(), {.atol = 1e-15, .rtol = 1e-12}));
  EXPECT_EQ(summary.at("global_step").get<int>(), 4);
  EXPECT_EQ(expect_saved_weights(out / "model.safetensors", want, "final."), 28);
  EXPECT_EQ(expect_saved_weights(out / "checkpoint-2" / "model.safetensors", want, "checkpoint2."), 28);
  EXPECT_TRUE(fs::exists(out / "checkpoint-4" / "config.json"));
  std::ifstream st(out / "checkpoint-2" / "trainer_state.json");
  const json state = json::parse(st);
  EXPECT_EQ(state.at("global_step").get<int>(), 2);
  EXPECT_EQ(state.at("max_steps").get<int>(), 4);
  EXPECT_EQ(state.at("log_history").size(), 2u);
  EXPECT_EQ(state.at("num_train_epochs").get<int>(), 2);
  fs::remove_all(out);
}

TEST(TrainCommand, BadRowsAreOneErrorLineNamingTheLine) {
  const fs::path dir = fresh_dir("bad");
  fs::create_directories(dir);
  struct Case {
    std::string content, needle;
  };
  const std::vector<Case> cases{
      {"{\"input_ids\": [1, 2]}\n{\"input_ids\": [1, 99]}\n", ":2: token id 99 is outside the vocabulary [0, 99)"},
      {"{\"input_ids\": [1, 2]}\nnot json\n", ":2: expected a JSON object"},
      {"\n\n", "holds no rows"},
      {"{\"input_ids\": [1, 2, 3], \"labels\": [1, 2]}\n", "\"labels\" has 2 entries for 3 input_ids"},
      {"{\"input_ids\": \"a text\"}\n", ":1: \"input_ids\" must be a list of integers"},
  };
  int n = 0;
  for (const Case& c : cases) {
    const fs::path rows = dir / ("rows" + std::to_string(n++) + ".jsonl");
    std::ofstream(rows) << c.content;
    const auto r = cli_test::run_cli({"train", "--model", kGpt2, "--train", rows.string(), "--output",
                                      (dir / "out").string(), "--max-steps", "1", "--batch-size", "2"});
    EXPECT_EQ(r.status, 1) << c.content;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
  }
  EXPECT_EQ(n, 5);
  fs::remove_all(dir);
}

// On a terminal `train` draws Trainer's tqdm-style bar on stderr (here a pseudo-terminal from
// util-linux `script`, which echoes both streams); piped, stderr stays free of it. The JSON step
// lines are on stdout in both cases.
TEST(TrainCommand, ProgressBarOnlyOnATerminal) {
  const fs::path out = fresh_dir("bar");
  const std::vector<std::string> args{"train", "--model", kGpt2, "--train", kRows, "--output", out.string(),
                                      "--max-steps", "2", "--batch-size", "2", "--save-steps", "0", "--no-shuffle"};
  const auto piped = cli_test::run_cli(args);
  ASSERT_EQ(piped.status, 0) << piped.err;
  EXPECT_EQ(piped.err.find("2/2 ["), std::string::npos) << piped.err;
  EXPECT_NE(piped.out.find("\"step\":2"), std::string::npos) << piped.out;
  std::string cmd = cli_test::shell_quote(TRANSFORMERS_CLI_PATH);
  for (const auto& a : args) cmd += " " + cli_test::shell_quote(a);
  fs::remove_all(out);
  const auto tty = cli_test::run_shell("script -qefc " + cli_test::shell_quote(cmd) + " /dev/null");
  ASSERT_EQ(tty.status, 0) << tty.out << tty.err;
  EXPECT_NE(tty.out.find(" 50%|"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("100%|"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("| 2/2 [00:"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("loss="), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("\"step\":2"), std::string::npos) << tty.out;
  fs::remove_all(out);
}
