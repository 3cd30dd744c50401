// from_pretrained's checks and reports of issue 18: the loading messages of 4.51 (word for word,
// level by level, from tests/oracle/make_loading_warnings.py), the library logger's verbosity,
// refused quantized checkpoints, config_overrides next to an explicit config, and config sizes the
// checkpoint cannot back.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "test_helpers.hpp"
#include "transformers/core/logging.hpp"
#include "transformers/modeling/auto.hpp"
#include "transformers/models/register_all.hpp"

using namespace transformers;
using namespace transformers::test;
namespace fs = std::filesystem;

namespace {

struct Captured {
  std::vector<std::pair<std::string, std::string>> records;  // [levelname, message]
};

std::string level_name(int level) {
  switch (level) {
    case logging::DEBUG: return "DEBUG";
    case logging::INFO: return "INFO";
    case logging::WARNING: return "WARNING";
    case logging::ERROR: return "ERROR";
    default: return "CRITICAL";
  }
}

// Collects the records of one logger while alive (the stderr handler is off meanwhile); restores
// the verbosity it found.
struct LogCapture {
  Captured got;
  int id;
  int saved_verbosity = logging::get_verbosity();
  explicit LogCapture(int verbosity, const std::string& name = "transformers.modeling_utils") {
    logging::set_verbosity(verbosity);
    logging::disable_default_handler();
    id = logging::add_handler([this, name](const logging::LogRecord& r) {
      if (r.name == name) got.records.emplace_back(level_name(r.level), r.message);
    });
  }
  ~LogCapture() {
    logging::remove_handler(id);
    logging::enable_default_handler();
    logging::set_verbosity(saved_verbosity);
  }
};

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

// A copy of a fixture folder with config.json edited by `edit`.
std::string edited_copy(const TempDir& tmp, const std::string& folder, const std::function<void(json&)>& edit) {
  const fs::path dst = tmp.path / "m";
  fs::create_directories(dst);
  for (auto& e : fs::directory_iterator(fixtures() / folder))
    if (e.is_regular_file()) fs::copy_file(e.path(), dst / e.path().filename());
  json cfg = read_json(dst / "config.json");
  edit(cfg);
  fs::remove(dst / "config.json");
  std::ofstream(dst / "config.json") << cfg.dump(2);
  return dst.string();
}

struct LoadValidation : ::testing::Test {
  static void SetUpTestSuite() { register_all_models(); }
};

}  // namespace

TEST_F(LoadValidation, LoadingMessagesMatchPython451) {
  const json cases = read_json(data_dir() / "loading_warnings.json");
  ASSERT_EQ(cases.size(), 8u);
  for (auto& [name, c] : cases.items()) {
    SCOPED_TRACE(name);
    TempDir tmp;
    std::string path = (fixtures() / c["folder"].get<std::string>()).string();
    if (!c["arch_override"].is_null()) path = edited_copy(tmp, c["folder"], [&](json& j) { j["architectures"] = c["arch_override"]; });
    FromPretrainedOptions o;
    if (c["kwargs"].contains("num_labels")) o.num_labels = c["kwargs"]["num_labels"].get<int64_t>();
    o.ignore_mismatched_sizes = c["kwargs"].value("ignore_mismatched_sizes", false);
    LogCapture cap(logging::INFO);
    from_pretrained_class(c["class"], path, o);
    std::vector<std::pair<std::string, std::string>> want;
    for (auto& r : c["records"]) want.emplace_back(r[0], replace_all(r[1], "{path}", path));
    EXPECT_EQ(cap.got.records, want);
  }
}

TEST_F(LoadValidation, VerbosityFiltersRecords) {
  const std::string path = (fixtures() / "bert" / "model").string();
  {
    LogCapture cap(logging::WARNING);  // the default: the unused-weights message is info here
    from_pretrained_class("BertForSequenceClassification", path, {});
    ASSERT_EQ(cap.got.records.size(), 1u);
    EXPECT_EQ(cap.got.records[0].first, "WARNING");
    EXPECT_EQ(cap.got.records[0].second.rfind("Some weights of BertForSequenceClassification were not initialized", 0), 0u);
  }
  {
    LogCapture cap(logging::ERROR);
    from_pretrained_class("BertForSequenceClassification", path, {});
    EXPECT_TRUE(cap.got.records.empty());
  }
}

TEST_F(LoadValidation, QuantizedCheckpointRefusedNamingQuantMethod) {
  TempDir tmp;
  const std::string path = edited_copy(tmp, "gpt2/model", [](json& j) {
    j["quantization_config"] = {{"quant_method", "awq"}, {"bits", 4}};
  });
  try {
    AutoModelForCausalLM::from_pretrained(path);
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("quant_method \"awq\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("supported: \"bitsandbytes\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  // An explicit config carrying one is refused the same way.
  auto cfg = PretrainedConfig::from_pretrained(path);
  EXPECT_THROW(AutoModelForCausalLM::from_pretrained((fixtures() / "gpt2" / "model").string(), {.config = cfg}),
               UnsupportedError);
  // Without quant_method (4.51: ValueError) and not an object.
  TempDir t2, t3;
  EXPECT_THROW(AutoModelForCausalLM::from_pretrained(
                   edited_copy(t2, "gpt2/model", [](json& j) { j["quantization_config"] = {{"bits", 4}}; })),
               ValueError);
  EXPECT_THROW(AutoModelForCausalLM::from_pretrained(
                   edited_copy(t3, "gpt2/model", [](json& j) { j["quantization_config"] = nullptr; })),
               FormatError);
}

TEST_F(LoadValidation, ConfigOverridesWithExplicitConfigRaise) {
  // 4.51 passes the kwargs left over after an explicit config to the model's __init__: TypeError.
  const std::string path = (fixtures() / "bert" / "model").string();
  auto cfg = PretrainedConfig::from_pretrained(path);
  try {
    from_pretrained_class("BertModel", path, {.config = cfg, .config_overrides = {{"hidden_dropout_prob", 0.3}}});
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("hidden_dropout_prob"), std::string::npos) << e.what();
  }
  EXPECT_THROW(from_pretrained_class("BertForSequenceClassification", path, {.config = cfg, .num_labels = 5}),
               ValueError);
  // attn_implementation is from_pretrained's own argument in 4.51: applied to the config.
  auto m = from_pretrained_class("BertModel", path, {.config = cfg, .config_overrides = {{"attn_implementation", "eager"}}});
  EXPECT_EQ(m->config().attn_implementation(), "eager");
  EXPECT_EQ(cfg->attn_implementation(), "sdpa");  // the caller's config is not changed
}

TEST_F(LoadValidation, AbsurdConfigSizesRefusedBeforeAllocating) {
  for (auto [folder, key, value] : {std::tuple{"llama/model", "num_hidden_layers", int64_t(100000)},
                                    std::tuple{"llama/model", "num_hidden_layers", int64_t(20000)},
                                    std::tuple{"gpt2/model", "n_layer", int64_t(100000)},
                                    std::tuple{"bert/model", "vocab_size", int64_t(1) << 40},
                                    std::tuple{"llama/model", "intermediate_size", int64_t(1) << 40}}) {
    SCOPED_TRACE(std::string(folder) + " " + key);
    TempDir tmp;
    const std::string path = edited_copy(tmp, folder, [&](json& j) { j[key] = value; });
    const auto t0 = std::chrono::steady_clock::now();
    try {
      from_pretrained_class("", path, {});
      FAIL() << "expected ValueError";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("config key '" + std::string(key) + "' = " + std::to_string(value)),
                std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  }
}

TEST_F(LoadValidation, LegitimateSizeDifferencesStillLoad) {
  // A few more layers than the checkpoint holds: loaded, the new layers reported as missing.
  TempDir tmp;
  const std::string path = edited_copy(tmp, "llama/model", [](json& j) { j["num_hidden_layers"] = 3; });
  auto m = from_pretrained_class("", path, {});
  EXPECT_FALSE(m->loading_info().missing_keys.empty());
  EXPECT_EQ(m->loading_info().missing_keys.front().rfind("model.layers.2.", 0), 0u);
  // A base checkpoint into head models (bert/base has no head).
  EXPECT_NO_THROW(from_pretrained_class("BertForMaskedLM", (fixtures() / "bert" / "base").string(), {}));
}

TEST_F(LoadValidation, ImpliedParameterCountsAreExact) {
  // The counts from_pretrained checks are those of the built base models (a wrong count would
  // refuse real checkpoints or miss absurd ones).
  for (auto [folder, base] : {std::pair{"bert/model", "BertModel"}, std::pair{"gpt2/model", "GPT2Model"},
                              std::pair{"llama/model", "LlamaModel"}}) {
    SCOPED_TRACE(folder);
    auto cfg = PretrainedConfig::from_pretrained((fixtures() / folder).string());
    ASSERT_TRUE(cfg->class_info() && cfg->class_info()->base_model_num_parameters);
    auto m = find_model_class(base)->factory(cfg);
    EXPECT_EQ(cfg->class_info()->base_model_num_parameters(*cfg), double(m->num_parameters()));
  }
}
