// Issue 29 items 1, 2 and 10, issue 18 items 13 and 16, probed from outside as the issue did:
// sizes from config.json, generation_config.json and the command line that used to wrap in 64-bit
// arithmetic (segfaults, heap corruption, one silent token) or to ask for absurd memory. Each must
// now end in exit 1 with one `error: ` line naming the key or flag (exit 2 for a bad flag value)
// before anything large is allocated: every run here is on the tiny fixtures and takes well under
// a second, so an error that came after a huge allocation would show as a crash or a timeout.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"
#include "reliability_util.hpp"

namespace reliability {
namespace {

using cli_test::CliResult;
using cli_test::run_cli;
using ojson = nlohmann::ordered_json;

constexpr int64_t k2_57 = int64_t(1) << 57;
constexpr int64_t k2_61 = int64_t(1) << 61;

// Exactly one line on stderr, starting with "error: " and containing `needle`.
void expect_error_line(const CliResult& r, int status, const std::string& needle, const std::string& what) {
  EXPECT_EQ(r.status, status) << what << "\nstderr: " << r.err;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << what << "\nstderr: " << r.err;
  if (status == 1) {
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << "\nstderr: " << r.err;
  }
  EXPECT_NE(r.err.find(needle), std::string::npos) << what << ": the error does not name " << needle << "\nstderr: " << r.err;
}

// A writable copy of a fixture model folder (the fixtures are read-only).
fs::path copy_model(const TempDir& d, const std::string& arch, const std::string& name) {
  const fs::path dst = d.path / name;
  fs::create_directories(dst);
  for (const auto& e : fs::directory_iterator(models() / arch / "model")) {
    fs::copy_file(e.path(), dst / e.path().filename());
    fs::permissions(dst / e.path().filename(), fs::perms::owner_write, fs::perm_options::add);
  }
  return dst;
}

// A copy of a fixture model folder whose config.json has `key` set to `value`.
fs::path folder_with(const TempDir& d, const std::string& arch, const std::string& key, const ojson& value) {
  const fs::path dst = copy_model(d, arch, arch + "_" + key);
  ojson cfg = ojson::parse(read_file(dst / "config.json"));
  cfg[key] = value;
  write_file(dst / "config.json", cfg.dump(2));
  return dst;
}

TEST(CliSizes, ConfigPositionSizesNearTwoToThe60AreRefusedByEveryCommand) {
  TempDir d;
  const fs::path gpt2 = folder_with(d, "gpt2", "n_positions", k2_57);
  const fs::path bert = folder_with(d, "bert", "max_position_embeddings", k2_61);
  expect_error_line(run_cli({"inspect", gpt2.string(), "--json"}), 1, "'n_positions'", "inspect gpt2 n_positions 2^57");
  expect_error_line(run_cli({"inspect", bert.string(), "--json"}), 1, "'max_position_embeddings'",
                    "inspect bert max_position_embeddings 2^61");
  expect_error_line(run_cli({"forward", "--model", gpt2.string(), "--inputs", "/nonexistent.safetensors", "--output",
                             (d.path / "out.safetensors").string()}),
                    1, "", "forward gpt2 n_positions 2^57");
  expect_error_line(run_cli({"generate", "--model", gpt2.string(), "--input-ids", "1,2,3", "--max-new-tokens", "1"}), 1,
                    "'n_positions'", "generate gpt2 n_positions 2^57");
}

TEST(CliSizes, NumLabelsAboveTheStatedLimitIsRefusedBeforeBuildingLabels) {
  // 2^21 labels: id2label / label2id of two million entries and a classifier of two million rows
  // were built before (minutes); now a ValueError naming num_labels and the limit, at once.
  TempDir d;
  const fs::path bert = folder_with(d, "bert", "num_labels", int64_t(1) << 21);
  expect_error_line(run_cli({"load-info", "--model", bert.string(), "--model-class", "AutoModelForSequenceClassification"}),
                    1, "num_labels must be at most 1048576", "config.json num_labels 2^21");
}

TEST(CliSizes, MismatchedHugeSizesWithIgnoreMismatchedSizesAreRefused) {
  TempDir d;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"gpt2", "vocab_size"}, {"llama", "vocab_size"}, {"llama", "intermediate_size"},
      {"bert", "intermediate_size"}, {"bert", "type_vocab_size"}, {"bert", "vocab_size"}};
  for (const auto& [arch, key] : cases) {
    const fs::path dir = folder_with(d, arch, key, k2_57);
    const std::string cls = arch == "bert" ? "AutoModel" : "AutoModelForCausalLM";
    expect_error_line(run_cli({"load-info", "--model", dir.string(), "--model-class", cls, "--ignore-mismatched-sizes"}),
                      1, "'" + key + "'", arch + " " + key + " 2^57 --ignore-mismatched-sizes");
  }
}

TEST(CliSizes, ResizeToAHugeVocabularyIsRefusedNamingTheFlag) {
  TempDir d;
  for (const char* arch : {"gpt2", "llama", "bert"}) {
    const std::string model = (models() / arch / "model").string(), out = (d.path / arch).string();
    expect_error_line(run_cli({"resize", "--model", model, "--output", out, "--new-num-tokens", std::to_string(k2_57)}), 1,
                      "new_num_tokens", std::string("resize ") + arch + " --new-num-tokens 2^57");
    expect_error_line(run_cli({"resize", "--model", model, "--output", out, "--new-num-tokens", "100",
                               "--pad-to-multiple-of", std::to_string(k2_57)}),
                      1, "pad_to_multiple_of", std::string("resize ") + arch + " --pad-to-multiple-of 2^57");
    EXPECT_FALSE(fs::exists(out)) << "a refused resize wrote " << out;
  }
}

TEST(CliSizes, GenerateLengthsThatWouldWrapAreRefused) {
  const std::string gpt2 = (models() / "gpt2" / "model").string();
  // 2^63 - 1 + the prompt wrapped to a negative max_length: one token and exit 0 before.
  expect_error_line(run_cli({"generate", "--model", gpt2, "--input-ids", "1,2,3", "--max-new-tokens", "9223372036854775807"}),
                    1, "max_new_tokens", "generate --max-new-tokens 2^63-1");
  // The same number from the model's generation_config.json.
  TempDir d;
  const fs::path dir = copy_model(d, "gpt2", "gpt2");
  write_file(dir / "generation_config.json", R"({"max_new_tokens": 9223372036854775807, "eos_token_id": 2})");
  expect_error_line(run_cli({"generate", "--model", dir.string(), "--input-ids", "1,2,3"}), 1, "max_new_tokens",
                    "generation_config.json max_new_tokens 2^63-1");
}

TEST(CliSizes, GenerateFarPastThePositionLimitStopsThereWithoutAHugeCache) {
  // 4.51 preallocates nothing (DynamicCache) and GPT-2 raises IndexError when a position passes
  // n_positions (64 here): the same typed error after 61 tokens, not a 1e9-token cache up front.
  // No eos in the generation config, so nothing stops the run before the position limit.
  TempDir d;
  const fs::path dir = copy_model(d, "gpt2", "gpt2");
  write_file(dir / "generation_config.json", R"({"bos_token_id": 1, "pad_token_id": 0})");
  const CliResult r = run_cli({"generate", "--model", dir.string(), "--input-ids", "1,2,3", "--max-new-tokens", "1000000000"});
  expect_error_line(r, 1, "out of range", "generate gpt2 --max-new-tokens 1000000000");
}

TEST(CliSizes, IntegerFlagsHaveExplicitRanges) {
  const std::string gpt2 = (models() / "gpt2" / "model").string();
  TempDir d;
  const std::string out = (d.path / "o").string();
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"generate", "--model", gpt2, "--input-ids", "1,2", "--seed", "-1"}, "--seed"},
      {{"generate", "--model", gpt2, "--input-ids", "1,2", "--seed", "18446744073709551616"}, "--seed"},
      {{"generate", "--model", gpt2, "--input-ids", "1,2", "--seed", ""}, "--seed"},
      {{"generate", "--model", gpt2, "--input-ids", "1,2", "--max-new-tokens", "1e9"}, "--max-new-tokens"},
      {{"generate", "--model", gpt2, "--input-ids", "1,2", "--max-new-tokens", "0"}, "--max-new-tokens"},
      {{"generate", "--model", gpt2, "--input-ids", "1,2", "--max-new-tokens", "9223372036854775808"}, "--max-new-tokens"},
      {{"generate", "--model", gpt2, "--input-ids", "1,2", "--top-k", "010"}, "--top-k"},
      {{"generate", "--model", gpt2, "--input-ids", "1,2", "--threads", "100000"}, "--threads"},
      {{"generate", "--model", gpt2, "--input-ids", "1,2", "--threads", "0"}, "--threads"},
      {{"forward", "--model", gpt2, "--inputs", "x", "--output", out, "--threads", "-3"}, "--threads"},
      {{"resize", "--model", gpt2, "--output", out, "--new-num-tokens", "-5"}, "--new-num-tokens"},
      {{"resize", "--model", gpt2, "--output", out, "--new-num-tokens", "100", "--seed", "-1"}, "--seed"},
      {{"load-info", "--model", gpt2, "--model-class", "AutoModel", "--num-labels", "1e9"}, "--num-labels"},
      {{"load-info", "--model", gpt2, "--model-class", "AutoModel", "--num-labels", "1000000000"}, "--num-labels"},
      {{"bench", "--model", gpt2, "--gen-len", "4611686018427387904"}, "--gen-len"},
      {{"bench", "--model", gpt2, "--batch", "0"}, "--batch"},
      {{"convert", "--model", gpt2, "--output", out, "--max-shard-size", "99999999999999999999"}, "--max-shard-size"},
  };
  for (const auto& [args, flag] : bad) {
    std::string cmd;
    for (const auto& a : args) cmd += a + " ";
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.status, 2) << cmd << "\nstderr: " << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << cmd << "\nstderr: " << r.err;
    EXPECT_NE(r.err.find(flag), std::string::npos) << cmd << ": the usage error does not name " << flag << "\n" << r.err;
  }
  EXPECT_FALSE(fs::exists(out));
  // The ends of the seed range are accepted.
  for (const char* seed : {"0", "18446744073709551615"}) {
    const CliResult r = run_cli({"generate", "--model", gpt2, "--input-ids", "1,2", "--max-new-tokens", "1", "--do-sample",
                                 "--seed", seed, "--json"});
    EXPECT_EQ(r.status, 0) << "--seed " << seed << ": " << r.err;
  }
}

}  // namespace
}  // namespace reliability
