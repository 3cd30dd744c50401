// `transformers-cli rerank` against CrossEncoder.predict / CrossEncoder.rank of sentence-transformers
// 3.4.1 (tests/oracle/make_cross_encoder_cases.py, tests/data/cross_encoder/<case>/expected.json): the
// default activation (Sigmoid for one label, config.sbert_ce_default_activation_function when set),
// --activation identity, pairs stripped and truncated longest_first with token_type_ids; scores within
// 1e-5 and the order rank() returns. A bad activation in config.json exits 1 naming the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"
#include "common/compare.hpp"

using cli_test::run_cli;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kCases = fs::path(TRANSFORMERS_TEST_DATA_DIR) / "cross_encoder";

json load_json(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::vector<std::string> rerank_args(const fs::path& dir, const json& expected) {
  std::vector<std::string> args{"rerank", "--json", "--model", dir.string(), "--query",
                                expected["query"].get<std::string>()};
  for (auto& d : expected["documents"]) args.push_back(d.get<std::string>());
  return args;
}

class CrossEncoderCase : public ::testing::TestWithParam<std::string> {};

TEST_P(CrossEncoderCase, RerankEqualsCrossEncoderRank) {
  const fs::path dir = kCases / GetParam();
  const json expected = load_json(dir / "expected.json");
  ASSERT_EQ(expected["calls"].size(), 2u);
  for (const json& call : expected["calls"]) {
    auto args = rerank_args(dir, expected);
    if (!call["activation"].is_null()) args.insert(args.begin() + 1, {"--activation", call["activation"].get<std::string>()});
    auto r = run_cli(args);
    ASSERT_EQ(r.status, 0) << r.err;
    const json got = json::parse(r.out);
    ASSERT_EQ(got["results"].size(), expected["documents"].size());
    std::vector<double> want, have;
    std::vector<size_t> order;
    for (auto& res : got["results"]) {
      const size_t id = res["corpus_id"].get<size_t>();
      order.push_back(id);
      have.push_back(res["score"].get<double>());
      want.push_back(call["scores"][id].get<double>());
      EXPECT_EQ(res["text"], expected["documents"][id]);
    }
    EXPECT_EQ(order, call["order"].get<std::vector<size_t>>());
    EXPECT_TRUE(testcmp::allclose(have, want, {.atol = 1e-5, .rtol = 0})) << call.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(CrossEncoder, CrossEncoderCase, ::testing::Values("bert_sigmoid", "bert_identity_in_config"),
                         [](const auto& info) { return info.param; });

TEST(CrossEncoderCases, DefaultActivationAsCrossEncoderChoosesIt) {
  for (auto [name, act] : {std::pair{"bert_sigmoid", "sigmoid"}, std::pair{"bert_identity_in_config", "identity"}}) {
    const json expected = load_json(kCases / name / "expected.json");
    EXPECT_EQ(expected["default_activation"].get<std::string>() == "Sigmoid", std::string(act) == "sigmoid");
    auto r = run_cli(rerank_args(kCases / name, expected));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["activation"], act) << name;
  }
}

TEST(CrossEncoderErrors, UnknownActivationClassInConfigNamesTheFile) {
  const fs::path dir = fs::temp_directory_path() / ("tcpp_rerank_bad_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::copy(kCases / "bert_sigmoid", dir, fs::copy_options::recursive);
  json cfg = load_json(dir / "config.json");
  cfg["sbert_ce_default_activation_function"] = "torch.nn.modules.activation.Softmax";
  { std::ofstream(dir / "config.json") << cfg.dump(); }
  auto r = run_cli({"rerank", "--model", dir.string(), "--query", "q", "a doc"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("config.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Softmax"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("error: "), r.err.rfind("error: ")) << r.err;
  r = run_cli({"rerank", "--model", dir.string(), "a doc"});  // no --query: usage
  EXPECT_EQ(r.status, 2);
  fs::remove_all(dir);
}

}  // namespace
