#pragma once
// Shared helpers of the model-utilities tests: fixture and golden paths, tensor files, comparisons,
// temporary folders, fixture models loaded with eager attention (as the 4.51 goldens were made).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include "common/compare.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/modeling/auto.hpp"

namespace utils_test {

namespace fs = std::filesystem;
using transformers::Tensor;
using json = nlohmann::ordered_json;

inline fs::path fixture(const std::string& rel) { return fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf" / "models" / rel; }
inline fs::path golden(const std::string& rel) { return fs::path(TRANSFORMERS_TEST_DATA_DIR) / "utils" / rel; }

inline json read_json(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

inline std::map<std::string, Tensor> load_tensors(const fs::path& p) {
  transformers::io::SafetensorsReader r(p);
  std::map<std::string, Tensor> out;
  for (auto& k : r.keys()) out[k] = r.get_tensor(k).clone();
  return out;
}

// The 4.51 goldens (tests/oracle/make_utils_goldens.py), read once.
inline const std::map<std::string, Tensor>& goldens() {
  static const auto g = load_tensors(golden("goldens.safetensors"));
  return g;
}
inline const json& golden_facts() {
  static const json j = read_json(golden("goldens.json"));
  return j;
}
inline const json& fixture_facts() {
  static const json j = read_json(fixture("facts.json"));
  return j;
}

// Comparisons: the suite's one helper (tests/common/compare.hpp).
using testcmp::allclose;
using testcmp::max_abs_diff;
// exact equality of values (and shape); -inf == -inf counts as equal
inline bool same_values(const Tensor& a, const Tensor& b) {
  if (a.sizes() != b.sizes()) return false;
  return a.to_vector<double>() == b.to_vector<double>();
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("tcpp_utils_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string str() const { return path.string(); }
};

inline std::shared_ptr<transformers::PreTrainedModel> load_model(const fs::path& folder, const std::string& cls = "",
                                                                 transformers::FromPretrainedOptions o = {}) {
  o.attn_implementation = "eager";
  return transformers::from_pretrained_class(cls, folder.string(), o);
}

// The fixture's inputs for a model of `arch` (bert gets token_type_ids).
inline transformers::ModelInputs fixture_inputs(const std::string& arch) {
  auto e = load_tensors(fixture(arch + "/expected.safetensors"));
  transformers::ModelInputs in;
  in.input_ids = e.at("input_ids");
  in.attention_mask = e.at("attention_mask");
  if (arch == "bert") in.token_type_ids = e.at("token_type_ids");
  return in;
}

}  // namespace utils_test
