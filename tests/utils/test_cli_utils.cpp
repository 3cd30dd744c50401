// transformers-cli resize and prune, run as a child process (docs/CLI.md contract: exit 0 / 1 with
// one "error: " line / 2 for usage), with the saved folders checked against the fixtures and the
// 4.51 goldens.
#include "cli/cli_runner.hpp"
#include "transformers/modeling/resize.hpp"
#include "utils/utils_test_helpers.hpp"

using namespace transformers;
using namespace utils_test;
using cli_test::run_cli;

namespace {

std::string model_dir(const std::string& arch) { return fixture(arch + "/model").string(); }

TEST(CliResize, UpWithPaddingLikeTheFixture) {
  TempDir d;
  auto r = run_cli({"resize", "--model", model_dir("gpt2"), "--output", d.str(), "--new-num-tokens", "102",
                    "--pad-to-multiple-of", "8", "--no-mean-resizing", "--seed", "3", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["vocab_size"], 104);
  EXPECT_EQ(read_json(d.path / "config.json")["vocab_size"], 104);
  const auto& f = fixture_facts()["gpt2"];
  EXPECT_EQ(int64_t(fs::file_size(d.path / "model.safetensors")), f["files_resized_up"]["model.safetensors"].get<int64_t>());
  EXPECT_TRUE(fs::exists(d.path / "generation_config.json"));
  auto m = load_model(d.path);
  EXPECT_EQ(input_embedding_module(*m).weight.sizes(), (Shape{104, 32}));
  auto orig = load_model(fixture("gpt2/model"));
  EXPECT_TRUE(same_values(input_embedding_module(*m).weight.narrow(0, 0, 99), input_embedding_module(*orig).weight));
}

TEST(CliResize, DownEqualsTheFixtureTensors) {
  TempDir d;
  auto r = run_cli({"resize", "--model", model_dir("llama"), "--output", d.str(), "--new-num-tokens", "92"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("92"), std::string::npos);
  auto mine = load_tensors(d.path / "model.safetensors");
  auto ref = load_tensors(fixture("llama/resized_down/model.safetensors"));
  ASSERT_EQ(mine.size(), ref.size());
  for (auto& [k, t] : ref) EXPECT_TRUE(mine.count(k) && same_values(mine.at(k), t)) << k;
}

TEST(CliResize, Errors) {
  TempDir d;
  auto r = run_cli({"resize", "--model", model_dir("bert"), "--output", d.str()});  // no --new-num-tokens
  EXPECT_EQ(r.status, 2);
  r = run_cli({"resize", "--model", model_dir("bert"), "--output", d.str(), "--new-num-tokens", "-3"});
  EXPECT_EQ(r.status, 2);
  r = run_cli({"resize", "--model", (d.path / "nope").string(), "--output", d.str(), "--new-num-tokens", "10"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
}

TEST(CliPrune, Gpt2MatchesThe451Goldens) {
  TempDir d;
  auto r = run_cli({"prune", "--model", model_dir("gpt2"), "--output", d.str(), "--heads", R"({"0":[1,2,3],"1":[0]})", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["pruned_heads"], golden_facts()["gpt2"]["pruned_heads"]);
  EXPECT_EQ(j["num_parameters"], golden_facts()["gpt2"]["num_parameters_pruned"]);
  auto m = load_model(d.path);
  EXPECT_TRUE(allclose(m->forward(fixture_inputs("gpt2")).logits, goldens().at("gpt2.logits_pruned")));
}

TEST(CliPrune, BertTextOutputAndReload) {
  TempDir d;
  auto r = run_cli({"prune", "--model", model_dir("bert"), "--output", d.str(), "--heads", R"({"0":[1,3],"1":[0]})"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("pruned BertForMaskedLM"), std::string::npos) << r.out;
  auto m = load_model(d.path);
  EXPECT_TRUE(allclose(m->forward(fixture_inputs("bert")).logits, goldens().at("bert.logits_pruned_1")));
}

TEST(CliPrune, Errors) {
  TempDir d;
  for (const char* bad : {"not json", "[0]", R"({"0":[7]})", R"({"5":[0]})"}) {
    auto r = run_cli({"prune", "--model", model_dir("bert"), "--output", d.str(), "--heads", bad});
    EXPECT_EQ(r.status, 1) << bad;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_FALSE(fs::exists(d.path / "config.json")) << bad;  // nothing written
  }
  auto r = run_cli({"prune", "--model", model_dir("llama"), "--output", d.str(), "--heads", R"({"0":[0]})"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(run_cli({"prune", "--model", model_dir("bert"), "--output", d.str()}).status, 2);
}

}  // namespace
