// The CLI's file-reading commands on damaged files: `inspect PATH --json` (single checkpoint
// files and model folders) and `tokenize`. A refused file exits 1 with one `error: ` line on
// stderr; nothing ends in a signal (status >= 128) or a usage error (2).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/cli_runner.hpp"
#include "reliability_util.hpp"

namespace reliability {
namespace {

using cli_test::run_cli;

void check(const cli_test::CliResult& r, const Mutation& m, const std::string& what) {
  EXPECT_TRUE(r.status == 0 || r.status == 1) << what << ", " << m.label << ": status " << r.status << "\n" << r.err;
  if (m.truncation) EXPECT_EQ(r.status, 1) << what << ", " << m.label << " was accepted";
  if (r.status == 1) {
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << what << ", " << m.label << ": stderr\n" << r.err;
  }
}

// A few mutations per file: the CLI starts a process per run, so this samples where the in-process
// suite (test_mutated_fixtures.cpp) is exhaustive.
std::vector<Mutation> few(const std::string& bytes, uint32_t seed) {
  auto all = mutations(bytes, seed, 3, 3);
  std::vector<Mutation> out;
  for (size_t i = 0; i < all.size(); i += 2) out.push_back(all[i]);
  return out;
}

TEST(CliBadInputs, InspectDamagedCheckpointFiles) {
  const std::vector<fs::path> files = {models() / "gpt2" / "model" / "model.safetensors",
                                       models() / "llama" / "bin" / "pytorch_model.bin",
                                       models() / "legacy" / "legacy_format.bin"};
  TempDir d;
  uint32_t seed = 7;
  int runs = 0;
  for (const auto& f : files) {
    const fs::path target = d.path / f.filename();
    for (const auto& m : few(read_file(f), seed++)) {
      write_file(target, m.bytes);
      check(run_cli({"inspect", target.string(), "--json"}), m, "inspect " + f.filename().string());
      ++runs;
    }
  }
  auto r = run_cli({"inspect", (models() / "evil" / "pytorch_model.bin").string(), "--json"});
  EXPECT_EQ(r.status, 1) << r.err;
  std::printf("[reliability] CLI inspect on %d damaged checkpoint files\n", runs);
}

TEST(CliBadInputs, InspectDamagedModelFolders) {
  // A gpt2 folder (config + weights) with one file damaged at a time.
  TempDir d;
  const fs::path src = models() / "gpt2" / "model";
  for (const auto& e : fs::directory_iterator(src)) fs::copy_file(e.path(), d.path / e.path().filename());
  auto ok = run_cli({"inspect", d.path.string(), "--json"});
  ASSERT_EQ(ok.status, 0) << "undamaged folder: " << ok.err;
  uint32_t seed = 11;
  int runs = 0;
  for (const char* name : {"config.json", "model.safetensors"}) {
    const std::string original = read_file(src / name);
    for (const auto& m : few(original, seed++)) {
      write_file(d.path / name, m.bytes);
      check(run_cli({"inspect", d.path.string(), "--json"}), m, std::string("inspect folder with damaged ") + name);
      ++runs;
    }
    write_file(d.path / name, original);
  }
  // Wrong types in config.json.
  for (const std::string cfg : {R"({"model_type": "gpt2", "n_embd": "32"})", R"({"model_type": 5})",
                                R"({"model_type": "gpt2", "architectures": ["NoSuchModel"]})", "[]"}) {
    write_file(d.path / "config.json", cfg);
    auto r = run_cli({"inspect", d.path.string(), "--json"});
    EXPECT_EQ(r.status, 1) << cfg << ": " << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << cfg << ": " << r.err;
    ++runs;
  }
  std::printf("[reliability] CLI inspect on %d damaged model folders\n", runs);
}

TEST(CliBadInputs, TokenizeWithDamagedTokenizerFiles) {
  TempDir d;
  const fs::path src = tokenizers() / "bert_wordpiece";
  for (const auto& e : fs::directory_iterator(src)) fs::copy_file(e.path(), d.path / e.path().filename());
  uint32_t seed = 23;
  int runs = 0;
  // `tokenize` reads tokenizer.json only (tools/cli/tokenizer_path.hpp), so only that file is damaged.
  for (const char* name : {"tokenizer.json"}) {
    const std::string original = read_file(src / name);
    for (const auto& m : few(original, seed++)) {
      write_file(d.path / name, m.bytes);
      check(run_cli({"tokenize", "--tokenizer", d.path.string(), "--text", "Hello world", "--json"}), m,
            std::string("tokenize with damaged ") + name);
      ++runs;
    }
    write_file(d.path / name, original);
  }
  fs::remove(d.path / "tokenizer.json");
  auto r = run_cli({"tokenize", "--tokenizer", d.path.string(), "--text", "x"});
  EXPECT_EQ(r.status, 1) << r.err;
  std::printf("[reliability] CLI tokenize with %d damaged tokenizer files\n", runs + 1);
}

}  // namespace
}  // namespace reliability
