// The CLI contract's common rules: --version/--help, exit status 2 for usage errors, 1 with one
// `error: ` line for bad input, never a signal.
#include <gtest/gtest.h>

#include "cli/cli_runner.hpp"

using cli_test::run_cli;

TEST(CliBasics, VersionAndHelp) {
  auto v = run_cli({"--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_NE(v.out.find("transformers-cli " TRANSFORMERS_VERSION), std::string::npos);
  auto h = run_cli({"--help"});
  EXPECT_EQ(h.status, 0);
  for (const char* cmd : {"tokenize", "decode"}) EXPECT_NE(h.out.find(cmd), std::string::npos) << cmd;
  auto sub = run_cli({"tokenize", "--help"});
  EXPECT_EQ(sub.status, 0);
  EXPECT_NE(sub.out.find("--tokenizer"), std::string::npos);
}

TEST(CliBasics, UsageErrorsExitTwo) {
  EXPECT_EQ(run_cli({}).status, 2);
  EXPECT_EQ(run_cli({"no-such-command"}).status, 2);
  auto r = run_cli({"tokenize", "--no-such-flag"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(run_cli({"tokenize", "--text", "x"}).status, 2);  // --tokenizer missing
}

TEST(CliBasics, InputErrorsExitOneWithOneErrorLine) {
  auto r = run_cli({"tokenize", "--tokenizer", "/nonexistent/folder", "--text", "hi"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/folder"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  auto bad_ids = run_cli({"decode", "--tokenizer", TRANSFORMERS_FIXTURES_DIR "/hf/tokenizers/gpt2_bpe", "--ids", "1,x"});
  EXPECT_EQ(bad_ids.status, 1);
  EXPECT_NE(bad_ids.err.find("'x'"), std::string::npos) << bad_ids.err;
}
