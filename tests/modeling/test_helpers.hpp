#pragma once
// Shared helpers of the modeling tests: paths, file reading, temporary folders.
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

}  // namespace transformers::test
