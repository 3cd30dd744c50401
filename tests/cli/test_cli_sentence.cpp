// `transformers-cli embed` with a model folder's sentence-transformers pipeline against
// SentenceTransformer.encode of sentence-transformers 3.4.1 (tests/oracle/make_sentence_cases.py,
// tests/data/sentence/<case>/expected.json): every pooling mode (cls, max, mean, mean_sqrt_len,
// weightedmean, lasttoken, some concatenated), include_prompt=False, Dense with Tanh / Identity and
// without bias, Normalize, max_seq_length truncation, do_lower_case, stripping, and prompts by
// --prompt-name, --prompt and the default_prompt_name, DistilBERT (no token_type_ids); embeddings
// within 1e-5. Bad pipeline files exit 1 naming the file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"
#include "common/compare.hpp"

using cli_test::run_cli;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kCases = fs::path(TRANSFORMERS_TEST_DATA_DIR) / "sentence";

json load_json(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::vector<double> flat(const json& rows) {
  std::vector<double> v;
  for (auto& row : rows)
    for (auto& x : row) v.push_back(x.get<double>());
  return v;
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(kCases)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class SentenceCase : public ::testing::TestWithParam<std::string> {};

TEST_P(SentenceCase, EmbedEqualsSentenceTransformersEncode) {
  const fs::path dir = kCases / GetParam();
  const json expected = load_json(dir / "expected.json");
  ASSERT_EQ(expected["calls"].size(), 3u);
  for (const json& call : expected["calls"]) {
    std::vector<std::string> args{"embed", "--json", "--model", dir.string()};
    if (call.contains("prompt_name")) args.insert(args.end(), {"--prompt-name", call["prompt_name"].get<std::string>()});
    if (call.contains("prompt")) args.insert(args.end(), {"--prompt", call["prompt"].get<std::string>()});
    for (auto& s : call["sentences"]) args.push_back(s.get<std::string>());
    auto r = run_cli(args);
    ASSERT_EQ(r.status, 0) << r.err;
    const json got = json::parse(r.out);
    ASSERT_EQ(got["embeddings"].size(), call["embeddings"].size());
    EXPECT_EQ(got["embeddings"][0].size(), call["embeddings"][0].size());
    EXPECT_TRUE(testcmp::allclose(flat(got["embeddings"]), flat(call["embeddings"]), {.atol = 1e-5, .rtol = 0}))
        << call.dump().substr(0, 120);
  }
}

INSTANTIATE_TEST_SUITE_P(Sentence, SentenceCase, ::testing::ValuesIn(case_names()),
                         [](const auto& info) { return info.param; });

// The folders tests/oracle/make_sentence_cases.py writes; a lost one fails here.
TEST(SentenceCases, EveryCaseFolderPresent) { EXPECT_EQ(case_names().size(), 5u); }

std::string copy_case(const std::string& name, const std::string& tag) {
  const fs::path out = fs::temp_directory_path() / ("tcpp_sentence_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(out);
  fs::copy(kCases / name, out, fs::copy_options::recursive);
  return out.string();
}

TEST(SentenceErrors, UnknownPromptNameExitsOne) {
  auto r = run_cli({"embed", "--json", "--model", (kCases / "cls_max_sqrt_len").string(), "--prompt-name", "nope", "x"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("Prompt name 'nope' not found"), std::string::npos) << r.err;
}

TEST(SentenceErrors, PromptAndPromptNameTogetherIsUsage) {
  auto r = run_cli({"embed", "--model", (kCases / "cls_max_sqrt_len").string(), "--prompt-name", "query", "--prompt",
                    "q: ", "x"});
  EXPECT_EQ(r.status, 2);
}

TEST(SentenceErrors, BadPipelineFilesNameTheFile) {
  const std::string dir = copy_case("mean_dense_tanh_normalize_lower", "bad");
  { std::ofstream(dir + "/1_Pooling/config.json") << R"({"pooling_mode_mean_tokens": "yes"})"; }
  auto r = run_cli({"embed", "--model", dir, "x"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("1_Pooling/config.json"), std::string::npos) << r.err;
  { std::ofstream(dir + "/1_Pooling/config.json") << R"({"pooling_mode_mean_tokens": true})"; }
  { std::ofstream(dir + "/2_Dense/config.json") << R"({"in_features": 32, "out_features": 7, "bias": true})"; }
  r = run_cli({"embed", "--model", dir, "x"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("linear.weight"), std::string::npos) << r.err;
  { std::ofstream(dir + "/modules.json") << R"([{"idx": 0, "path": "../../etc", "type": "sentence_transformers.models.Dense"}])"; }
  r = run_cli({"embed", "--model", dir, "x"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("leaves the model folder"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

}  // namespace
