#pragma once
// Shared helpers of the modeling tests: paths, file reading, temporary folders, and the 4.51 config
// class defaults (from tests/oracle/make_config_goldens.py) registered for bert/gpt2/llama.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "transformers/modeling/configuration_utils.hpp"

namespace transformers::test {

inline std::filesystem::path fixtures() { return std::filesystem::path(TRANSFORMERS_FIXTURES_DIR) / "hf" / "models"; }
inline std::filesystem::path data_dir() { return std::filesystem::path(TRANSFORMERS_TEST_DATA_DIR) / "modeling"; }

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
inline json read_json(const std::filesystem::path& p) { return json::parse(read_text(p)); }

// A fresh empty folder under the system temp dir, removed when the object dies.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("tcpp_modeling_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string str() const { return path.string(); }
};

// Registers what 4.51's BertConfig/GPT2Config/LlamaConfig add to the base defaults (oracle data).
inline void register_oracle_config_classes() {
  const json all = read_json(data_dir() / "config" / "class_defaults.json");
  for (auto& [model_type, info] : all.items()) {
    ConfigClassInfo ci;
    ci.model_type = model_type;
    ci.class_name = info["class_name"].get<std::string>();
    ci.defaults = info["defaults"];
    for (auto& [alias, canonical] : info["attribute_map"].items()) ci.attribute_map[alias] = canonical.get<std::string>();
    register_config_class(std::move(ci));
  }
}

}  // namespace transformers::test
