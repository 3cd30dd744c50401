// PretrainedConfig against transformers 4.51.3: config.json as save_pretrained writes it (byte for
// byte), kwargs routing with return_unused_kwargs, attribute_map aliases, both key styles.
#include <gtest/gtest.h>

#include <functional>

#include "test_helpers.hpp"
#include "transformers/modeling/configuration_utils.hpp"
#include "transformers/models/register_all.hpp"

using namespace transformers;
using transformers::test::data_dir;
using transformers::test::fixtures;
using transformers::test::read_json;
using transformers::test::read_text;
using transformers::test::TempDir;
namespace fs = std::filesystem;

namespace {
// Every test of this program sees the config classes the library ships (models/<arch>/register_*),
// so the goldens below test them and not a copy of 4.51's values.
struct ConfigGoldens : ::testing::Test {
  static void SetUpTestSuite() { register_all_models(); }
};
struct ShippedConfigEnvironment : ::testing::Environment {
  void SetUp() override { register_all_models(); }
};
[[maybe_unused]] ::testing::Environment* const kShippedEnv =
    ::testing::AddGlobalTestEnvironment(new ShippedConfigEnvironment);
}  // namespace

TEST_F(ConfigGoldens, BaseDefaultsMatch451) {
  // Key order is irrelevant: compare as unordered JSON.
  EXPECT_EQ(nlohmann::json::parse(base_config_defaults().dump()),
            nlohmann::json::parse(read_json(data_dir() / "config" / "base_defaults.json").dump()));
}

TEST_F(ConfigGoldens, ShippedClassesMatch451) {
  // Every shipped model type has 4.51's goldens, and <Arch>Config() writes what 4.51's writes.
  const json oracle = read_json(data_dir() / "config" / "class_defaults.json");
  std::vector<std::string> oracle_types;
  for (auto& [type, info] : oracle.items()) oracle_types.push_back(type);
  ASSERT_EQ(registered_config_types(), oracle_types);
  for (auto& [type, info] : oracle.items()) {
    SCOPED_TRACE(type);
    const ConfigClassInfo* ci = find_config_class(type);
    ASSERT_NE(ci, nullptr);
    EXPECT_EQ(ci->class_name, info["class_name"]);
    std::map<std::string, std::string> aliases;
    for (auto& [a, c] : info["attribute_map"].items()) aliases[a] = c.get<std::string>();
    EXPECT_EQ(ci->attribute_map, aliases);
    const PretrainedConfig defaults(json::object(), type);
    const fs::path dir = data_dir() / "config" / "default_constructed";
    EXPECT_EQ(defaults.to_json_string(true), read_text(dir / (type + "_diff.json")));
    EXPECT_EQ(defaults.to_json_string(false), read_text(dir / (type + "_full.json")));
  }
}

TEST_F(ConfigGoldens, SaveMatches451ByteForByte) {
  const json cases = read_json(data_dir() / "config" / "cases.json");
  ASSERT_EQ(cases.size(), 18u);  // every case tests/oracle/make_config_goldens.py wrote
  for (auto& [name, c] : cases.items()) {
    SCOPED_TRACE(name);
    TempDir in, out;
    {
      std::ofstream f(in.path / "config.json");
      f << c["input"].dump();
    }
    auto [cfg, unused] = PretrainedConfig::from_pretrained_with_unused(in.str(), {.overrides = c["overrides"]});
    cfg->save_pretrained(out.str());
    EXPECT_EQ(read_text(out.path / "config.json"), read_text(data_dir() / "config" / "saved" / (name + ".json")));
    EXPECT_EQ(unused, c["unused"]);
  }
}

TEST_F(ConfigGoldens, RoundTripIsStable) {
  TempDir a, b;
  auto cfg = PretrainedConfig::from_pretrained((fixtures() / "llama" / "model").string());
  cfg->save_pretrained(a.str());
  PretrainedConfig::from_pretrained(a.str())->save_pretrained(b.str());
  EXPECT_EQ(read_text(a.path / "config.json"), read_text(b.path / "config.json"));
}

TEST_F(ConfigGoldens, AttributeMapAliases) {
  auto cfg = PretrainedConfig::from_pretrained((fixtures() / "gpt2" / "model").string());
  EXPECT_EQ(cfg->hidden_size(), 32);
  EXPECT_EQ(cfg->num_hidden_layers(), 2);
  cfg->set("hidden_size", 64);
  EXPECT_EQ(cfg->get<int64_t>("n_embd"), 64);
  EXPECT_FALSE(cfg->raw().contains("hidden_size"));
  // An alias in the file itself is stored under the canonical name.
  auto c2 = PretrainedConfig::from_dict({{"model_type", "gpt2"}, {"num_attention_heads", 8}});
  EXPECT_EQ(c2->raw().at("n_head"), 8);
  EXPECT_FALSE(c2->raw().contains("num_attention_heads"));
}

TEST_F(ConfigGoldens, BothKeyStyles) {
  // 5.x: dtype + rope_parameters
  auto v5 = PretrainedConfig::from_pretrained((fixtures() / "llama" / "bf16").string());
  EXPECT_EQ(v5->torch_dtype(), DType::BFloat16);
  EXPECT_EQ(v5->get<std::string>("torch_dtype"), "bfloat16");
  ASSERT_TRUE(v5->rope_theta().has_value());
  EXPECT_EQ(*v5->rope_theta(), 10000.0);
  EXPECT_TRUE(v5->rope_scaling().is_null());
  // 4.x: torch_dtype + rope_theta + rope_scaling
  const json cases = read_json(data_dir() / "config" / "cases.json");
  auto v4 = PretrainedConfig::from_dict(cases["llama_4x"]["input"]);
  EXPECT_EQ(v4->torch_dtype(), DType::BFloat16);
  EXPECT_EQ(*v4->rope_theta(), 500000.0);
  EXPECT_EQ(v4->rope_scaling().at("rope_type"), "llama3");
  // 5.x rope_parameters with a scaling type
  auto v5s = PretrainedConfig::from_dict(
      {{"model_type", "llama"}, {"rope_parameters", {{"rope_type", "linear"}, {"factor", 2.0}, {"rope_theta", 1e6}}}});
  EXPECT_EQ(*v5s->rope_theta(), 1e6);
  EXPECT_EQ(v5s->rope_scaling().at("factor"), 2.0);
}

TEST_F(ConfigGoldens, Labels) {
  auto cfg = PretrainedConfig::from_pretrained((fixtures() / "bert" / "cls3").string());
  EXPECT_EQ(cfg->num_labels(), 3);
  EXPECT_EQ(cfg->id2label().at(2), "LABEL_2");
  EXPECT_EQ(cfg->label2id().at("LABEL_1"), 1);
  cfg->set_num_labels(3);  // same count: maps kept
  EXPECT_EQ(cfg->num_labels(), 3);
  cfg->set("num_labels", 5);
  EXPECT_EQ(cfg->num_labels(), 5);
  EXPECT_EQ(cfg->id2label().at(4), "LABEL_4");
  EXPECT_THROW(PretrainedConfig::from_dict(cfg->raw(), {{"num_labels", 2}, {"id2label", {{"0", "a"}}}}), ValueError);
  EXPECT_THROW(PretrainedConfig::from_dict({{"problem_type", "ranking"}}), ValueError);
}

TEST_F(ConfigGoldens, ErrorsNameTheFile) {
  TempDir d;
  try {
    PretrainedConfig::from_pretrained(d.str());
    FAIL() << "expected FileNotFoundError";
  } catch (const FileNotFoundError& e) {
    EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos);
  }
  {
    std::ofstream f(d.path / "config.json");
    f << "{\"a\": ";
  }
  try {
    PretrainedConfig::from_pretrained(d.str());
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(d.str()), std::string::npos);
  }
  // a repo id goes to the hub layer; offline and not cached it is a FileNotFoundError (no network in tests)
  ConfigLoadOptions offline;
  offline.hub.local_files_only = true;
  offline.hub.cache_dir = d.str();
  EXPECT_THROW(PretrainedConfig::from_pretrained("no-such-org/no-such-model-xyz", offline), FileNotFoundError);
  // save_pretrained into a file path refuses
  std::ofstream(d.path / "file.txt") << "x";
  EXPECT_THROW(PretrainedConfig().save_pretrained((d.path / "file.txt").string()), ValueError);
}

TEST(PythonJson, SortsAndEscapesLikePython) {
  json j = {{"b", 1.0}, {"a", {{"z", 1e-05}, {"y", "é"}}}, {"id2label", {{"10", "x"}, {"2", "y"}}}, {"e", json::array()}};
  EXPECT_EQ(python_json_dumps(j),
            "{\n  \"a\": {\n    \"y\": \"\\u00e9\",\n    \"z\": 1e-05\n  },\n  \"b\": 1.0,\n  \"e\": [],\n"
            "  \"id2label\": {\n    \"2\": \"y\",\n    \"10\": \"x\"\n  }\n}\n");
}

// ---- GenerationConfig ----
#include "transformers/generation/configuration_utils.hpp"

TEST(GenerationConfigGoldens, DefaultsMatch451) {
  EXPECT_EQ(nlohmann::json::parse(generation_config_defaults().dump()),
            nlohmann::json::parse(read_json(data_dir() / "config" / "generation" / "defaults.json").dump()));
}

TEST(GenerationConfigGoldens, FromModelConfigSavesAs451) {
  for (const char* arch : {"gpt2", "llama"}) {
    SCOPED_TRACE(arch);
    TempDir d;
    auto cfg = PretrainedConfig::from_pretrained((fixtures() / arch / "model").string());
    GenerationConfig::from_model_config(*cfg)->save_pretrained(d.str());
    EXPECT_EQ(read_text(d.path / "generation_config.json"),
              read_text(data_dir() / "config" / "generation" / (std::string("from_model_config_") + arch + ".json")));
  }
}

TEST(GenerationConfigGoldens, LoadSaveRoundTrip) {
  TempDir d;
  const auto golden = data_dir() / "config" / "generation" / "sampling.json";
  auto g = GenerationConfig::from_pretrained(golden.string());
  EXPECT_TRUE(g->get<bool>("do_sample"));
  EXPECT_EQ(g->get<double>("temperature"), 0.7);
  EXPECT_EQ(g->get<int64_t>("top_k"), 50);  // default
  EXPECT_EQ(g->eos_token_ids(), (std::vector<int64_t>{2, 5}));
  g->save_pretrained(d.str());
  EXPECT_EQ(read_text(d.path / "generation_config.json"), read_text(golden));
  // The fixtures' 5.x file loads too.
  auto g5 = GenerationConfig::from_pretrained((fixtures() / "gpt2" / "model").string());
  EXPECT_EQ(g5->eos_token_ids(), std::vector<int64_t>{2});
  EXPECT_THROW(GenerationConfig::from_pretrained(d.str() + "/nope"), FileNotFoundError);
}

// ---- the one JSON-config base: typed errors name the file, the key, what was expected and found ----
#include "transformers/generation/utils.hpp"

namespace {
std::string format_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "no FormatError";
}
void expect_parts(const std::string& msg, std::initializer_list<std::string> parts) {
  for (const std::string& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
}
}  // namespace

TEST(JsonConfig, TypedErrorsNameFileKeyExpectedAndFound) {
  TempDir d;
  {
    std::ofstream f(d.path / "config.json");
    f << R"({"model_type": "gpt2", "n_embd": "wide", "n_layer": 1e100, "use_cache": 3})";
  }
  auto cfg = PretrainedConfig::from_pretrained(d.str());
  const std::string file = "'" + (d.path / "config.json").string() + "'";
  // Aliases are named as stored (GPT-2's hidden_size is n_embd).
  expect_parts(format_error_of([&] { cfg->hidden_size(); }),
               {"config key 'n_embd' in " + file, "expected an integer", "found \"wide\""});
  expect_parts(format_error_of([&] { cfg->num_hidden_layers(); }),
               {"config key 'n_layer' in " + file, "expected an integer within [-2^63, 2^63)", "found 1e+100"});
  expect_parts(format_error_of([&] { cfg->get<bool>("use_cache"); }),
               {"config key 'use_cache' in " + file, "expected true or false", "found 3"});
  // A config built in memory has no file to name.
  EXPECT_EQ(format_error_of([] { PretrainedConfig(json{{"vocab_size", "x"}}).vocab_size(); }),
            "config key 'vocab_size': expected an integer, found \"x\"");

  {
    std::ofstream f(d.path / "generation_config.json");
    f << R"({"max_length": "long", "do_sample": 1})";
  }
  auto g = GenerationConfig::from_pretrained(d.str());
  const std::string gfile = "'" + (d.path / "generation_config.json").string() + "'";
  expect_parts(format_error_of([&] { g->get<int64_t>("max_length"); }),
               {"generation config key 'max_length' in " + gfile, "expected an integer", "found \"long\""});
  // generate()'s field-table reader goes through the same typed reads and names the same file.
  expect_parts(format_error_of([&] { resolve_generation_config(g->to_dict(), {}, 3, std::nullopt, g->source_file()); }),
               {"generation config key 'max_length' in " + gfile, "expected an integer", "found \"long\""});
  expect_parts(format_error_of([&] { resolve_generation_config({{"do_sample", 1}}, {}, 3); }),
               {"generation config key 'do_sample'", "expected true or false", "found 1"});
}
