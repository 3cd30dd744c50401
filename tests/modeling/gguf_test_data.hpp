#pragma once
// The GGUF fixture folder of tests/modeling (tests/oracle/make_gguf_llama.py) and its 4.51.3
// expectations, shared by the GGUF load and keep-quantized tests.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "transformers/core/tensor.hpp"

namespace gguf_test_data {

inline std::filesystem::path dir() { return std::filesystem::path(TRANSFORMERS_TEST_DATA_DIR) / "modeling" / "gguf"; }

// expected.json's entry for one file stem (input_ids, logits file, greedy tokens, ...).
inline nlohmann::json expected(const std::string& stem) {
  std::ifstream in(dir() / "expected.json");
  return nlohmann::json::parse(in)[stem];
}

inline transformers::Tensor ids_of(const nlohmann::json& e) {
  const auto v = e["input_ids"].get<std::vector<int64_t>>();
  return transformers::Tensor::from_vector(v, {1, int64_t(v.size())});
}

}  // namespace gguf_test_data
