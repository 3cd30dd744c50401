// transformers-cli generate as a user runs it (child process), against the fixtures' HF goldens.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "../cli/cli_runner.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/tokenizers/tokenizer.hpp"

using cli_test::run_cli;
using namespace transformers;

namespace {

const std::string kModels = std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/models/";
const std::string kTok = std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/tokenizers/gpt2_bpe";

std::vector<std::vector<int64_t>> expected_rows(const std::string& arch, const std::string& key) {
  io::SafetensorsReader r(kModels + arch + "/expected.safetensors");
  Tensor t = r.get_tensor(key).to(DType::Int64);
  const auto flat = t.to_vector<int64_t>();
  std::vector<std::vector<int64_t>> rows;
  for (int64_t i = 0; i < t.size(0); ++i) rows.emplace_back(flat.begin() + i * t.size(1), flat.begin() + (i + 1) * t.size(1));
  return rows;
}

TEST(CliGenerate, JsonGreedyAndBeamMatchFixtures) {
  auto r = run_cli({"generate", "--model", kModels + "gpt2/model", "--input-ids", "18,54,9,56,47", "--max-new-tokens",
                    "10", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["sequences"].get<std::vector<std::vector<int64_t>>>(), expected_rows("gpt2", "gen_greedy"));
  EXPECT_FALSE(j.contains("text"));  // no tokenizer known

  r = run_cli({"generate", "--model", kModels + "llama/model", "--input-ids", "18,54,9,56,47", "--max-new-tokens", "8",
               "--num-beams", "3", "--early-stopping", "true", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["sequences"].get<std::vector<std::vector<int64_t>>>(),
            expected_rows("llama", "gen_beam3"));
}

TEST(CliGenerate, LeftPaddedBatchWithMask) {
  auto r = run_cli({"generate", "--model", kModels + "gpt2/model", "--input-ids", "18,54,9,56,47,55;0,0,84,90,76,61",
                    "--attention-mask", "1,1,1,1,1,1;0,0,1,1,1,1", "--max-new-tokens", "8", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["sequences"].get<std::vector<std::vector<int64_t>>>(),
            expected_rows("gpt2", "gen_batch_left_pad"));
}

TEST(CliGenerate, TextModeStreamsDecodedTokensAndJsonHasText) {
  auto r = run_cli({"generate", "--model", kModels + "gpt2/model", "--tokenizer", kTok, "--input-ids", "18,54,9,56,47",
                    "--max-new-tokens", "10"});
  ASSERT_EQ(r.status, 0) << r.err;
  Tokenizer tok = Tokenizer::from_file(kTok + "/tokenizer.json");
  const auto greedy = expected_rows("gpt2", "gen_greedy")[0];
  const std::vector<int32_t> fresh(greedy.begin() + 5, greedy.end());
  EXPECT_EQ(r.out, tok.decode(fresh, {.skip_special_tokens = true}) + "\n");

  r = run_cli({"generate", "--model", kModels + "gpt2/model", "--tokenizer", kTok, "--input-ids", "18,54,9,56,47",
               "--max-new-tokens", "10", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<int32_t> all(greedy.begin(), greedy.end());
  EXPECT_EQ(nlohmann::json::parse(r.out)["text"][0].get<std::string>(), tok.decode(all, {.skip_special_tokens = true}));
}

TEST(CliGenerate, SeededSamplingIsReproducible) {
  std::vector<std::string> args = {"generate", "--model", kModels + "llama/model", "--input-ids", "5,6,7", "--do-sample",
                                   "--seed", "11", "--max-new-tokens", "12", "--temperature", "1.5", "--json"};
  auto a = run_cli(args), b = run_cli(args);
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  args[7] = "12";
  EXPECT_NE(run_cli(args).out, a.out);
}

TEST(CliGenerate, ErrorsExitWithStatus1Or2) {
  auto r = run_cli({"generate", "--model", kModels + "gpt2/model", "--input-ids", "1", "--early-stopping", "maybe"});
  EXPECT_EQ(r.status, 2);
  r = run_cli({"generate", "--model", kModels + "gpt2/model", "--input-ids", "1", "--num-return-sequences", "2"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  r = run_cli({"generate", "--model", "/nonexistent/model", "--input-ids", "1"});
  EXPECT_EQ(r.status, 1);
  r = run_cli({"generate", "--model", kModels + "gpt2/model"});  // neither --prompt nor --input-ids
  EXPECT_EQ(r.status, 2);
}

TEST(CliGenerate, WrongTypeInGenerationConfigNamesTheFile) {
  // The error line names the model's generation_config.json, the key, what was expected and what
  // was found (before: "generation config: `max_length` must be a number, found \"long\"").
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("cli_generate_bad_gen_config_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* f : {"config.json", "model.safetensors"})
    fs::copy_file(kModels + "gpt2/model/" + f, dir / f, fs::copy_options::overwrite_existing);
  std::ofstream(dir / "generation_config.json") << R"({"max_length": "long"})";
  auto r = run_cli({"generate", "--model", dir.string(), "--input-ids", "1,2", "--max-new-tokens", "1"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.err, "error: generation config key 'max_length' in '" + (dir / "generation_config.json").string() +
                       "': expected an integer, found \"long\"\n");
  fs::remove_all(dir);
}

}  // namespace
