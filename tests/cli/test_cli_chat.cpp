// transformers-cli chat on the GPT-2 fixture (64 positions) with a 99-word tokenizer whose
// tokenizer_config.json has a chat template (tests/data/cli/chat_tokenizer/): every reply is what
// `generate` gives for the prompt tokenizer.apply_chat_template renders from the history so far;
// /system and /reset on stdin; the oldest turns are dropped (with a notice) to fit the context;
// sampling with --seed is reproducible; errors follow docs/CLI.md.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using namespace transformers;

const fs::path kFixtures = fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf" / "models";
const fs::path kData = fs::path(TRANSFORMERS_TEST_DATA_DIR) / "cli";

class CliChat : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("cli-chat-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "model");
    for (auto& e : fs::directory_iterator(kFixtures / "gpt2/model")) fs::copy_file(e.path(), dir_ / "model" / e.path().filename());
    for (auto& e : fs::directory_iterator(kData / "chat_tokenizer")) fs::copy_file(e.path(), dir_ / "model" / e.path().filename());
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::string model() { return (dir_ / "model").string(); }

  // `generate` on the rendered history: the reply the chat must print (decoded new tokens).
  static std::string generate_reply(const json& history, const std::vector<std::string>& extra) {
    static auto tok = AutoTokenizer::from_pretrained(model());
    const auto ids = tok.apply_chat_template(history, {.add_generation_prompt = true}).input_ids;
    std::string ids_text;
    for (auto id : ids) ids_text += (ids_text.empty() ? "" : ",") + std::to_string(id);
    std::vector<std::string> args = {"generate", "--model", model(), "--input-ids", ids_text, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = cli_test::run_cli(args);
    EXPECT_EQ(r.status, 0) << r.err;
    const auto seq = json::parse(r.out)["sequences"][0].get<std::vector<int64_t>>();
    return tok.decode(std::vector<int64_t>(seq.begin() + long(ids.size()), seq.end()), {.skip_special_tokens = true});
  }

  // Runs chat with `stdin_text` on its standard input.
  static cli_test::CliResult run_with_stdin(const std::vector<std::string>& args, const std::string& stdin_text) {
    const fs::path in = dir_ / "stdin.txt";
    std::ofstream(in) << stdin_text;
    return cli_test::run_cli(args, in.string());
  }

  static fs::path dir_;
};
fs::path CliChat::dir_;

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t b = 0;
  for (std::size_t e = s.find('\n'); e != std::string::npos; b = e + 1, e = s.find('\n', b)) out.push_back(s.substr(b, e - b));
  if (b < s.size()) out.push_back(s.substr(b));
  return out;
}

TEST_F(CliChat, RepliesAreGenerateOnTheRenderedHistory) {
  const auto r = cli_test::run_cli({"chat", "--model", model(), "--system", "be nice", "--message", "hello there",
                                    "--message", "hi again", "--max-new-tokens", "6"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 2u) << r.out;
  json history = json::array({{{"role", "system"}, {"content", "be nice"}}, {{"role", "user"}, {"content", "hello there"}}});
  const std::string first = generate_reply(history, {"--max-new-tokens", "6"});
  EXPECT_EQ(out[0], first);
  history.push_back({{"role", "assistant"}, {"content", first}});
  history.push_back({{"role", "user"}, {"content", "hi again"}});
  EXPECT_EQ(out[1], generate_reply(history, {"--max-new-tokens", "6"}));
}

TEST_F(CliChat, SamplingWithSeedIsReproducible) {
  const std::vector<std::string> args = {"chat", "--model", model(), "--message", "hello", "--max-new-tokens", "8",
                                         "--do-sample", "--seed", "7", "--temperature", "1.5", "--top-k", "20"};
  const auto a = cli_test::run_cli(args), b = cli_test::run_cli(args);
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(lines(a.out).at(0), generate_reply(json::array({{{"role", "user"}, {"content", "hello"}}}),
                                               {"--max-new-tokens", "8", "--do-sample", "--seed", "7", "--temperature",
                                                "1.5", "--top-k", "20"}));
}

TEST_F(CliChat, InteractiveCommands) {
  const auto r = run_with_stdin({"chat", "--model", model(), "--max-new-tokens", "5"},
                                "/system be nice\nhello\n\n/reset\nhi\n/bogus x\n/exit\nignored\n");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 2u) << r.out;
  // /reset keeps the system message and forgets the turns.
  const auto fresh = cli_test::run_cli({"chat", "--model", model(), "--system", "be nice", "--message", "hi", "--max-new-tokens", "5"});
  EXPECT_EQ(out[1] + "\n", fresh.out);
  EXPECT_NE(r.err.find("[chat] unknown command /bogus"), std::string::npos) << r.err;
}

TEST_F(CliChat, OldestTurnsDroppedToFitTheContext) {
  // 64 positions: 40 reserved for the reply leave 24 for the prompt, so the first turn must go.
  const auto r = cli_test::run_cli({"chat", "--model", model(), "--max-new-tokens", "40", "--message", "hello there",
                                    "--message", "hi again there hi"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(r.out).size(), 2u);
  EXPECT_NE(r.err.find("[chat] dropped the oldest turn to fit the context length (64 tokens)"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.out)[1], generate_reply(json::array({{{"role", "user"}, {"content", "hi again there hi"}}}),
                                            {"--max-new-tokens", "40"}));
}

TEST_F(CliChat, Errors) {
  auto one_error_line = [](const cli_test::CliResult& r) {
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  };
  // A message that cannot fit even alone.
  one_error_line(cli_test::run_cli({"chat", "--model", model(), "--max-new-tokens", "60", "--message", "hello there again hi"}));
  one_error_line(cli_test::run_cli({"chat", "--model", model(), "--max-new-tokens", "64", "--message", "hi"}));
  // A model whose tokenizer has no chat template.
  const fs::path plain = dir_ / "plain";
  fs::create_directories(plain);
  for (auto& e : fs::directory_iterator(kFixtures / "gpt2/model")) fs::copy_file(e.path(), plain / e.path().filename(), fs::copy_options::overwrite_existing);
  fs::copy_file(kData / "doc_tokenizer.json", plain / "tokenizer.json", fs::copy_options::overwrite_existing);
  const auto r = cli_test::run_cli({"chat", "--model", plain.string(), "--message", "hi"});
  one_error_line(r);
  EXPECT_NE(r.err.find("chat_template is not set"), std::string::npos) << r.err;
  EXPECT_EQ(cli_test::run_cli({"chat", "--message", "hi"}).status, 2);
  EXPECT_EQ(cli_test::run_cli({"chat", "--model", model(), "--max-new-tokens", "0"}).status, 2);
}

}  // namespace
