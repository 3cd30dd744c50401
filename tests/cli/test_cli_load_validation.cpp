// Issue 18 at the CLI: the loading warnings of 4.51 on stderr (level-controlled by
// TRANSFORMERS_VERBOSITY, never before an error line), refused quantized checkpoints and absurd
// config sizes (exit 1, one error line), and the derived config values convert writes.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_runner.hpp"

using cli_test::run_cli;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {
const fs::path kModels = fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf" / "models";
const fs::path kData = fs::path(TRANSFORMERS_TEST_DATA_DIR) / "modeling";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TempFolder {
  fs::path path;
  explicit TempFolder(const std::string& name)
      : path(fs::temp_directory_path() / ("tcpp_cli_lv_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempFolder() { fs::remove_all(path); }
};

// Copies fixture `folder` into tmp/m with its config.json edited.
std::string edited_copy(const TempFolder& tmp, const std::string& folder, const std::function<void(json&)>& edit) {
  const fs::path dst = tmp.path / "m";
  fs::create_directories(dst);
  for (auto& e : fs::directory_iterator(kModels / folder))
    if (e.is_regular_file()) fs::copy_file(e.path(), dst / e.path().filename());
  json cfg = json::parse(read_text(dst / "config.json"));
  edit(cfg);
  std::ofstream(dst / "config.json", std::ios::trunc) << cfg.dump(2);
  return dst.string();
}

void expect_one_error_line(const cli_test::CliResult& r, const std::string& needle) {
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

// The 4.51 messages of one case in loading_warnings.json at `level` or above, as stderr shows them.
std::string python_stderr(const std::string& name, const std::string& path, bool with_info) {
  const json c = json::parse(read_text(kData / "loading_warnings.json")).at(name);
  std::string out;
  for (auto& r : c["records"]) {
    if (!with_info && r[0] != "WARNING") continue;
    std::string m = r[1];
    for (size_t p = m.find("{path}"); p != std::string::npos; p = m.find("{path}", p + path.size()))
      m.replace(p, 6, path);
    out += m + "\n";
  }
  return out;
}

struct ScopedEnv {
  std::string name;
  ScopedEnv(const std::string& n, const std::string& v) : name(n) { ::setenv(n.c_str(), v.c_str(), 1); }
  ~ScopedEnv() { ::unsetenv(name.c_str()); }
};
}  // namespace

TEST(CliLoadWarnings, BaseCheckpointIntoHeadWarnsAsPython) {
  const std::string model = (kModels / "bert" / "model").string();
  const std::vector<std::string> args = {"load-info", "--model", model, "--model-class", "BertForSequenceClassification"};
  auto r = run_cli(args);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, python_stderr("masked_lm_into_sequence_classification", model, false));
  {
    ScopedEnv env("TRANSFORMERS_VERBOSITY", "error");
    auto quiet = run_cli(args);
    EXPECT_EQ(quiet.status, 0);
    EXPECT_EQ(quiet.err, "");
  }
  {
    ScopedEnv env("TRANSFORMERS_VERBOSITY", "info");
    auto info = run_cli(args);
    EXPECT_EQ(info.status, 0);
    EXPECT_EQ(info.err, python_stderr("masked_lm_into_sequence_classification", model, true));
  }
}

TEST(CliLoadWarnings, ErrorIsNotPrecededByWarnings) {
  TempFolder tmp("warn_err");
  std::ofstream(tmp.path / "garbage.safetensors") << "not a safetensors file";
  auto r = run_cli({"forward", "--model", (kModels / "bert" / "model").string(), "--model-class",
                    "BertForSequenceClassification", "--inputs", (tmp.path / "garbage.safetensors").string(),
                    "--output", (tmp.path / "o.safetensors").string()});
  expect_one_error_line(r, "garbage.safetensors");
}

TEST(CliLoadValidation, QuantizedCheckpointRefused) {
  TempFolder tmp("quant");
  const std::string in = edited_copy(tmp, "llama/model", [](json& j) {
    j["quantization_config"] = {{"quant_method", "gptq"}, {"bits", 4}};
  });
  auto r = run_cli({"convert", "--model", in, "--output", (tmp.path / "out").string()});
  expect_one_error_line(r, "quant_method \"gptq\"");
  EXPECT_FALSE(fs::exists(tmp.path / "out" / "config.json"));
}

TEST(CliLoadValidation, AbsurdLayerCountRefusedQuickly) {
  TempFolder tmp("layers");
  const std::string in = edited_copy(tmp, "llama/model", [](json& j) { j["num_hidden_layers"] = 100000; });
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_cli({"convert", "--model", in, "--output", (tmp.path / "out").string()});
  expect_one_error_line(r, "config key 'num_hidden_layers' = 100000");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(CliLoadValidation, ConvertWritesDerivedHeadDim) {
  // A Llama config.json without head_dim: 4.51 saves the derived value, not null.
  TempFolder tmp("head_dim");
  const std::string in = edited_copy(tmp, "llama/model", [](json& j) { j.erase("head_dim"); });
  auto r = run_cli({"convert", "--model", in, "--output", (tmp.path / "out").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(tmp.path / "out" / "config.json"),
            read_text(kData / "config" / "saved_model" / "llama_no_head_dim.json"));
}
