// `transformers-cli train` on text data (run_clm.py / run_mlm.py's preparation): a .txt file (one row
// per line) and a .csv file (its "text" column) are tokenized with the model's tokenizer and packed
// into --block-size rows; both train and evaluate exactly as the JSONL of the blocks packed from
// Hugging Face's own token ids (tests/fixtures tokenizers' expected.json). --eval's eval_loss
// equals 4.51 Trainer.evaluate()'s (tests/oracle/make_eval_loss_case.py). Masked-LM on text masks with the collator and resumes exactly. Bad data: one
// error line.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"
#include "training/training_helpers.hpp"

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kModels = fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf/models";
const fs::path kTokenizers = fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf/tokenizers";
const std::string kRows = (fs::path(TRANSFORMERS_TEST_DATA_DIR) / "training/train_rows.jsonl").string();

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("train_data_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// The fixture model resized to the tokenizer fixture's vocabulary, with that tokenizer beside it.
fs::path model_with_tokenizer(const fs::path& dir, const std::string& model, const std::string& tokenizer, int tokens) {
  const fs::path out = dir / (model + "_" + tokenizer);
  const auto r = cli_test::run_cli({"resize", "--model", (kModels / model / "model").string(), "--output", out.string(),
                                    "--new-num-tokens", std::to_string(tokens)});
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) fs::copy_file(kTokenizers / tokenizer / f, out / f);
  return out;
}

// Texts of the tokenizer fixture that are one non-empty line, with Hugging Face's ids for them.
std::vector<std::pair<std::string, std::vector<int64_t>>> one_line_cases(const std::string& tokenizer) {
  std::ifstream in(kTokenizers / tokenizer / "expected.json");
  const json e = json::parse(in);
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  for (const json& c : e.at("cases")) {
    const std::string t = c.at("text");
    const bool breaks = t.find_first_of("\n\r\v\f\x1c\x1d\x1e") != std::string::npos ||
                        t.find("\xc2\x85") != std::string::npos || t.find("\xe2\x80\xa8") != std::string::npos ||
                        t.find("\xe2\x80\xa9") != std::string::npos;
    if (!t.empty() && !breaks) out.emplace_back(t, c.at("ids").get<std::vector<int64_t>>());
  }
  return out;
}

void write_text_files(const fs::path& dir, const std::vector<std::pair<std::string, std::vector<int64_t>>>& cases) {
  std::ofstream txt(dir / "data.txt"), csv(dir / "data.csv");
  csv << "id,text\r\n";
  int id = 0;
  for (const auto& [text, ids] : cases) {
    txt << text << "\n";
    std::string quoted;
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    csv << ++id << ",\"" << quoted << "\"\r\n";
  }
}

struct CliRun {
  std::vector<json> steps;
  json eval;
};

CliRun run(const std::vector<std::string>& args) {
  const auto r = cli_test::run_cli(args);
  EXPECT_EQ(r.status, 0) << r.err;
  CliRun out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    const json j = json::parse(line);
    if (j.contains("step")) out.steps.push_back(j);
    if (j.contains("eval_loss")) out.eval = j;
  }
  return out;
}

}  // namespace

TEST(TrainData, TextAndCsvAreTokenizedAndPackedAsRunClm) {
  const fs::path dir = fresh_dir("text");
  const fs::path model = model_with_tokenizer(dir, "gpt2", "gpt2_bpe", 1200);
  const auto cases = one_line_cases("gpt2_bpe");
  ASSERT_EQ(cases.size(), 32u);
  write_text_files(dir, cases);
  // group_texts over Hugging Face's ids: concatenated, cut into blocks of 8, labels = input_ids.
  std::vector<int64_t> all;
  for (const auto& c : cases) all.insert(all.end(), c.second.begin(), c.second.end());
  size_t blocks = 0;
  {
    std::ofstream jsonl(dir / "data.jsonl");
    for (size_t i = 0; i + 8 <= all.size(); i += 8, ++blocks) {
      const std::vector<int64_t> b(all.begin() + long(i), all.begin() + long(i + 8));
      jsonl << json{{"input_ids", b}, {"labels", b}}.dump() << "\n";
    }
  }
  std::vector<CliRun> runs;
  for (const char* file : {"data.jsonl", "data.txt", "data.csv"})
    runs.push_back(run({"train", "--model", model.string(), "--train", (dir / file).string(), "--eval",
                        (dir / file).string(), "--output", (dir / "out").string(), "--max-steps", "2",
                        "--batch-size", "4", "--block-size", "8", "--save-steps", "0", "--lr", "1e-3"}));
  for (size_t k = 1; k < runs.size(); ++k) {
    ASSERT_EQ(runs[k].steps.size(), 2u);
    for (size_t s = 0; s < 2; ++s)
      EXPECT_EQ(runs[k].steps[s].at("loss").get<double>(), runs[0].steps[s].at("loss").get<double>()) << k;
    EXPECT_EQ(runs[k].eval.at("eval_loss").get<double>(), runs[0].eval.at("eval_loss").get<double>()) << k;
    EXPECT_EQ(runs[k].eval.at("eval_samples").get<size_t>(), blocks) << k;
  }
  EXPECT_EQ(runs.size(), 3u);
  fs::remove_all(dir);
}

TEST(TrainData, EvalLossEqualsTrainerEvaluate) {
  const fs::path dir = fresh_dir("eval");
  // lr 0 leaves the weights as loaded; tests/oracle/make_eval_loss_case.py runs Trainer.evaluate on
  // the same 8 rows in batches of 3 + 3 + 2 (each batch's mean loss weighted by its rows).
  const CliRun r = run({"train", "--model", (kModels / "gpt2/model").string(), "--train", kRows, "--eval", kRows,
                        "--eval-batch-size", "3", "--output", (dir / "out").string(), "--max-steps", "1",
                        "--batch-size", "2", "--lr", "0"});
  std::ifstream in(fs::path(TRANSFORMERS_TEST_DATA_DIR) / "training/eval_loss.json");
  const double want = json::parse(in).at("eval_loss").get<double>();
  const double got = r.eval.at("eval_loss").get<double>();
  EXPECT_NEAR(got, want, 1e-5 * std::abs(want));
  EXPECT_NEAR(r.eval.at("perplexity").get<double>(), std::exp(got), 1e-9 * std::exp(got));
  EXPECT_EQ(r.eval.at("eval_samples").get<int>(), 8);
  fs::remove_all(dir);
}

TEST(TrainData, MaskedLmOnTextMasksAndResumesExactly) {
  const fs::path dir = fresh_dir("mlm");
  const fs::path model = model_with_tokenizer(dir, "bert", "bert_wordpiece", 900);
  write_text_files(dir, one_line_cases("bert_wordpiece"));
  auto args = [&](const std::string& out) {
    return std::vector<std::string>{"train", "--model", model.string(), "--task", "masked-lm", "--train",
                                    (dir / "data.txt").string(), "--output", (dir / out).string(), "--max-steps", "3",
                                    "--batch-size", "4", "--block-size", "16", "--save-steps", "1", "--seed", "3",
                                    "--mlm-probability", "0.15", "--lr", "1e-3"};
  };
  const CliRun whole = run(args("whole"));
  ASSERT_EQ(whole.steps.size(), 3u);
  for (const json& s : whole.steps) EXPECT_TRUE(std::isfinite(s.at("loss").get<double>())) << s;
  auto resumed_args = args("resumed");
  resumed_args.insert(resumed_args.end(), {"--resume", (dir / "whole" / "checkpoint-1").string()});
  const CliRun resumed = run(resumed_args);
  ASSERT_EQ(resumed.steps.size(), 2u);
  for (size_t i = 0; i < 2; ++i)
    EXPECT_EQ(resumed.steps[i].at("loss").get<double>(), whole.steps[i + 1].at("loss").get<double>()) << i;
  fs::remove_all(dir);
}

TEST(TrainData, BadDataIsOneErrorLineNamingIt) {
  const fs::path dir = fresh_dir("bad");
  const fs::path gpt2 = model_with_tokenizer(dir, "gpt2", "gpt2_bpe", 1200);
  std::ofstream(dir / "open.csv") << "text\n\"never closed\n";
  std::ofstream(dir / "short.txt") << "Hello\n";
  std::ofstream(dir / "data.xml") << "<a/>\n";
  struct Case {
    std::vector<std::string> extra;
    std::string needle;
  };
  const std::vector<Case> cases{
      {{"--train", (dir / "open.csv").string()}, "open.csv:2: a quoted field is not closed"},
      {{"--train", (dir / "short.txt").string(), "--block-size", "8"}, "fewer than one block of --block-size 8"},
      {{"--train", (dir / "data.xml").string()}, "is not a .jsonl, .json, .txt or .csv file"},
      {{"--train", kRows, "--task", "masked-lm", "--model-class", "GPT2LMHeadModel"}, "does not have a mask token"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> a{"train", "--model", gpt2.string(), "--output", (dir / "out").string(), "--max-steps", "1"};
    a.insert(a.end(), c.extra.begin(), c.extra.end());
    const auto r = cli_test::run_cli(a);
    EXPECT_EQ(r.status, 1) << c.needle;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
  }
  EXPECT_EQ(cases.size(), 4u);
  fs::remove_all(dir);
}
