// The model commands of the CLI contract (inspect, forward, load-info, convert, embed) checked from
// outside against what Hugging Face produced: the shared fixtures' expected.safetensors and
// facts.json, and the embedding oracle (tests/oracle/make_embed_expected.py).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.hpp"
#include "common/compare.hpp"
#include "transformers/io/safetensors.hpp"

using cli_test::run_cli;
using testcmp::allclose;
using nlohmann::json;
using namespace transformers;
namespace fs = std::filesystem;

namespace {
const std::string kModels = std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/models";

json load_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::map<std::string, Tensor> load_map(const std::string& file) {
  std::map<std::string, Tensor> m;
  for (auto& [n, t] : io::load_safetensors(file)) m[n] = t;
  return m;
}

std::string temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("tcpp_cli_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}
}  // namespace

class CliModel : public ::testing::TestWithParam<std::string> {};

TEST_P(CliModel, InspectMatchesFacts) {
  const std::string arch = GetParam();
  json facts = load_json(kModels + "/facts.json")[arch];
  auto r = run_cli({"inspect", kModels + "/" + arch + "/model", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  json j = json::parse(r.out);
  // Counts as transformers 4.51 gives them (tests/oracle/make_cli_goldens.py): the shared facts.json
  // comes from 5.x, whose GPT-2 lacks the non-persistent attention buffers 4.51 registers.
  json facts451 = load_json(std::string(TRANSFORMERS_TEST_DATA_DIR) + "/cli/facts_451.json")[arch];
  for (const char* k : {"num_parameters", "num_parameters_trainable", "num_parameters_no_embeddings", "memory_footprint",
                        "memory_footprint_no_buffers"})
    EXPECT_EQ(j[k], facts451[k]) << k;
  EXPECT_EQ(j["model_type"], arch);
  EXPECT_EQ(j["format"], "safetensors");
  json files = json::array();
  for (auto& [name, size] : facts["files_model"].items()) files.push_back(name);
  EXPECT_EQ(j["files"], files);
  json saved = facts["saved_keys"];
  ASSERT_EQ(j["tensors"].size(), saved.size());
  for (auto& k : saved) EXPECT_TRUE(j["tensors"].contains(k.get<std::string>())) << k;

  // A single checkpoint file lists the tensors as stored.
  auto f = run_cli({"inspect", kModels + "/" + arch + "/fp16/model.safetensors", "--json"});
  ASSERT_EQ(f.status, 0) << f.err;
  json fj = json::parse(f.out);
  EXPECT_EQ(fj["format"], "safetensors");
  for (auto& [name, t] : fj["tensors"].items()) EXPECT_EQ(t["dtype"], "F16") << name;
}

TEST_P(CliModel, ForwardReproducesExpected) {
  const std::string arch = GetParam();
  auto expected = load_map(kModels + "/" + arch + "/expected.safetensors");
  const std::string dir = temp_dir("forward_" + arch);
  io::NamedTensors inputs{{"input_ids", expected["input_ids"]}, {"attention_mask", expected["attention_mask"]}};
  if (expected.count("token_type_ids")) inputs.emplace_back("token_type_ids", expected["token_type_ids"]);
  io::save_safetensors(dir + "/in.safetensors", inputs);
  auto r = run_cli({"forward", "--model", kModels + "/" + arch + "/model", "--inputs", dir + "/in.safetensors", "--output",
                    dir + "/out.safetensors", "--attn", "eager", "--hidden-states", "--attentions"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto out = load_map(dir + "/out.safetensors");
  // float32 through 2 tiny layers: HF's own float32 run is within ~1e-6 of its float64 run here;
  // the float32 parity bound (tests/common/compare.hpp) leaves room for a different summation
  // order, not for a wrong op.
  EXPECT_TRUE(allclose(out["logits"], expected["logits"]));
  EXPECT_TRUE(allclose(out["hidden_states"], expected["hidden_states"]));
  EXPECT_TRUE(allclose(out["attentions"], expected["attentions"], {.atol = 1e-5}));  // probabilities in [0, 1]

  auto s = run_cli({"forward", "--model", kModels + "/" + arch + "/model", "--inputs", dir + "/in.safetensors", "--output",
                    dir + "/sdpa.safetensors", "--attn", "sdpa"});
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_TRUE(allclose(load_map(dir + "/sdpa.safetensors")["logits"], expected["logits_sdpa"]));

  // head_mask: 4.51 multiplies attention probabilities by it (5.x, which made the fixtures, ignores
  // it), so the golden comes from tests/oracle/make_cli_goldens.py.
  if (expected.count("head_mask")) {
    auto golden = load_map(std::string(TRANSFORMERS_TEST_DATA_DIR) + "/cli/head_mask_logits_451.safetensors");
    inputs.emplace_back("head_mask", expected["head_mask"]);
    io::save_safetensors(dir + "/in_hm.safetensors", inputs);
    auto h = run_cli({"forward", "--model", kModels + "/" + arch + "/model", "--inputs", dir + "/in_hm.safetensors",
                      "--output", dir + "/hm.safetensors", "--attn", "eager"});
    ASSERT_EQ(h.status, 0) << h.err;
    EXPECT_TRUE(allclose(load_map(dir + "/hm.safetensors")["logits"], golden[arch + "_head_mask_logits"]));
  }
  fs::remove_all(dir);
}

// --device reference runs the ops on the float64 reference backend; with --dtype float64 the logits
// equal HF's float64 run up to summation order (the output file stores them as float32: ~5e-7 for
// logits of magnitude ~6; Llama adds ~2.5e-6 from HF's float32 rotary tables, see
// tests/models/test_reference_backend.cpp). An unknown device is a usage error.
TEST_P(CliModel, ForwardOnTheReferenceDevice) {
  const std::string arch = GetParam();
  auto expected = load_map(kModels + "/" + arch + "/expected.safetensors");
  const std::string dir = temp_dir("forward_ref_" + arch);
  io::NamedTensors inputs{{"input_ids", expected["input_ids"]}, {"attention_mask", expected["attention_mask"]}};
  if (expected.count("token_type_ids")) inputs.emplace_back("token_type_ids", expected["token_type_ids"]);
  io::save_safetensors(dir + "/in.safetensors", inputs);
  auto r = run_cli({"forward", "--model", kModels + "/" + arch + "/model", "--inputs", dir + "/in.safetensors", "--output",
                    dir + "/out.safetensors", "--attn", "sdpa", "--dtype", "float64", "--device", "reference"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(allclose(load_map(dir + "/out.safetensors")["logits"], expected["logits_f64"], {.atol = 1e-5}));
  auto bad = run_cli({"forward", "--model", kModels + "/" + arch + "/model", "--inputs", dir + "/in.safetensors",
                      "--output", dir + "/x.safetensors", "--device", "gpu"});
  EXPECT_EQ(bad.status, 2) << bad.err;
  fs::remove_all(dir);
}

TEST_P(CliModel, ConvertShardsAsHuggingFace) {
  const std::string arch = GetParam();
  json facts = load_json(kModels + "/facts.json")[arch];
  const std::string dir = temp_dir("convert_" + arch);
  auto r = run_cli({"convert", "--model", kModels + "/" + arch + "/model", "--output", dir, "--max-shard-size", "30KB"});
  ASSERT_EQ(r.status, 0) << r.err;
  for (auto& [name, size] : facts["files_sharded"].items()) {
    ASSERT_TRUE(fs::exists(dir + "/" + name)) << name;
    if (name.find(".safetensors") != std::string::npos && name.find(".json") == std::string::npos) {
      // Shard contents byte for byte equal to what Hugging Face wrote for the same weights.
      std::ifstream a(dir + "/" + name, std::ios::binary), b(kModels + "/" + arch + "/sharded/" + name, std::ios::binary);
      std::string sa((std::istreambuf_iterator<char>(a)), {}), sb((std::istreambuf_iterator<char>(b)), {});
      EXPECT_EQ(sa.size(), size.get<size_t>()) << name;
      EXPECT_TRUE(sa == sb) << name << " differs from the fixture's shard";
    }
  }
  json idx = load_json(dir + "/model.safetensors.index.json");
  json want = load_json(kModels + "/" + arch + "/sharded/model.safetensors.index.json");
  EXPECT_EQ(idx["weight_map"], want["weight_map"]);
  EXPECT_EQ(idx["metadata"]["total_size"], want["metadata"]["total_size"]);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CliModel, ::testing::Values("bert", "gpt2", "llama"));

TEST(CliLoadInfo, ReproducesFacts) {
  // transformers 4.51.3's output_loading_info (tests/oracle/make_loading_goldens.py). It differs
  // from the 5.x facts.json in one place: loading the base checkpoint into BertForMaskedLM, 4.51
  // reports the unexpected pooler keys with the "bert." prefix.
  json golden = load_json(std::string(TRANSFORMERS_TEST_DATA_DIR) + "/modeling/loading_goldens.json")["loading_info"];
  struct Case {
    const char* folder;
    const char* cls;
    std::vector<std::string> extra;
    const char* key;
  };
  const std::vector<Case> cases = {
      {"base", "BertForMaskedLM", {}, "load_base_into_head"},
      {"model", "BertModel", {}, "load_head_into_base"},
      {"cls3", "BertForSequenceClassification", {"--num-labels", "5", "--ignore-mismatched-sizes"}, "load_mismatched"}};
  for (auto& c : cases) {
    std::vector<std::string> args{"load-info", "--model", kModels + "/bert/" + c.folder, "--model-class", c.cls, "--json"};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    auto r = run_cli(args);
    ASSERT_EQ(r.status, 0) << r.err;
    json got = json::parse(r.out);
    for (const char* k : {"missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"})
      EXPECT_EQ(got[k], golden[c.key][k]) << c.key << " " << k;
  }
}

TEST(CliEmbed, DefaultModelMatchesOracle) {
  json expected = load_json(std::string(TRANSFORMERS_TEST_DATA_DIR) + "/cli/embed_expected.json");
  std::vector<std::string> args{"embed", "--json"};
  for (auto& s : expected["sentences"]) args.push_back(s);
  auto r = run_cli(args);
  ASSERT_EQ(r.status, 0) << r.err << "\n(the default model comes from scripts/fetch_default_model, run by scripts/setup)";
  json j = json::parse(r.out);
  EXPECT_EQ(j["model"], "sentence-transformers/all-MiniLM-L6-v2");
  // float32 through 6 layers of width 384 on L2-normalised outputs (|x| <~ 0.3): differences in
  // summation order stay below 1e-5; a wrong op or pooling rule moves them by >1e-2.
  auto flat = [](const json& rows) {
    std::vector<double> v;
    for (auto& row : rows)
      for (auto& x : row) v.push_back(x.get<double>());
    return v;
  };
  EXPECT_TRUE(allclose(flat(j["embeddings"]), flat(expected["embeddings"]), {.atol = 1e-5}));
  EXPECT_TRUE(allclose(flat(j["similarity"]), flat(expected["similarity"]), {.atol = 1e-5}));
}

TEST(CliModelErrors, BadInputsExitOne) {
  auto missing = run_cli({"inspect", "/nonexistent/model", "--json"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("/nonexistent/model"), std::string::npos) << missing.err;
  const std::string dir = temp_dir("bad");
  { std::ofstream(dir + "/garbage.safetensors") << "not a safetensors file at all"; }
  auto corrupt = run_cli({"inspect", dir + "/garbage.safetensors", "--json"});
  EXPECT_EQ(corrupt.status, 1) << corrupt.err;
  EXPECT_EQ(corrupt.err.rfind("error: ", 0), 0u);
  auto fwd = run_cli({"forward", "--model", kModels + "/gpt2/model", "--inputs", dir + "/garbage.safetensors", "--output",
                      dir + "/o.safetensors"});
  EXPECT_EQ(fwd.status, 1) << fwd.err;
  auto bad_class = run_cli({"load-info", "--model", kModels + "/bert/model", "--model-class", "NoSuchClass", "--json"});
  EXPECT_EQ(bad_class.status, 1) << bad_class.err;
  EXPECT_NE(bad_class.err.find("NoSuchClass"), std::string::npos) << bad_class.err;
  fs::remove_all(dir);
}
