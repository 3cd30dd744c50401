#pragma once
// Helpers for the model parity tests: read a fixture folder (config.json + weights), build the
// model class from the registry, load the weights, compare tensors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "common/compare.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/models/register_all.hpp"
#include "transformers/nn/kv_cache.hpp"
#include "transformers/ops/indexing.hpp"

namespace parity {

using namespace transformers;
namespace fs = std::filesystem;

inline fs::path fixture(const std::string& rel) { return fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf/models" / rel; }
inline fs::path test_data(const std::string& rel) { return fs::path(TRANSFORMERS_TEST_DATA_DIR) / "models" / rel; }

inline json read_json(const fs::path& p) {
  std::ifstream f(p);
  if (!f) throw FileNotFoundError("cannot open " + p.string());
  return json::parse(f);
}

inline std::map<std::string, Tensor> load_tensors(const fs::path& file) {
  std::map<std::string, Tensor> m;
  for (auto& [k, v] : io::load_safetensors(file)) m[k] = v;
  return m;
}

inline std::shared_ptr<PretrainedConfig> load_config(const fs::path& folder, const std::string& attn = "") {
  register_all_models();
  json j = read_json(folder / "config.json");
  if (!attn.empty()) j["_attn_implementation"] = attn;
  return std::make_shared<PretrainedConfig>(j);
}

// A one-layer decoder config of `model_type` (hidden 16, 2 heads, 1 kv head, vocab 10) with `extra`
// keys on top, for building Llama-like models without a checkpoint.
inline std::shared_ptr<PretrainedConfig> tiny_decoder_config(const std::string& model_type,
                                                             json extra = json::object()) {
  register_all_models();
  json j{{"model_type", model_type}, {"hidden_size", 16}, {"num_attention_heads", 2}, {"num_key_value_heads", 1},
         {"num_hidden_layers", 1}, {"intermediate_size", 8}, {"vocab_size", 10}};
  j.update(extra);
  return std::make_shared<PretrainedConfig>(j);
}

// A one-layer encoder config of `model_type` (hidden 8, 2 heads, vocab 10, 12 positions) with
// `extra` keys on top, for building BERT-like models without a checkpoint.
inline std::shared_ptr<PretrainedConfig> tiny_encoder_config(const std::string& model_type,
                                                             json extra = json::object()) {
  register_all_models();
  json j{{"model_type", model_type}, {"hidden_size", 8}, {"num_attention_heads", 2}, {"num_hidden_layers", 1},
         {"intermediate_size", 8}, {"vocab_size", 10}, {"max_position_embeddings", 12}};
  j.update(extra);
  return std::make_shared<PretrainedConfig>(j);
}

// What PreTrainedModel.tie_weights() does for these models: the output embedding's weight becomes
// the input embedding's tensor (the checkpoint stores only one of them).
inline void tie_word_embeddings(PreTrainedModel& model) {
  if (!model.config().tie_word_embeddings()) return;
  nn::Module* out = model.get_output_embeddings();
  nn::Module* in = model.get_input_embeddings();
  if (out && in) *out->find_parameter("weight") = *in->find_parameter("weight");
}

// Builds `class_name` from folder/config.json, casts it to `dtype` and loads the folder's
// model.safetensors. Keys the checkpoint leaves out must be tied ones; nothing may be unexpected.
template <typename Model = PreTrainedModel>
std::shared_ptr<Model> load_model(const fs::path& folder, const std::string& class_name, const std::string& attn,
                                  DType dtype = DType::Float32) {
  auto config = load_config(folder, attn);
  const ModelClassInfo* info = find_model_class(class_name);
  if (!info) throw KeyError("no registered model class " + class_name);
  std::shared_ptr<PreTrainedModel> model = info->factory(config);
  model->to(dtype);
  auto weights = load_tensors(folder / "model.safetensors");
  auto r = model->load_state_dict(weights, /*strict=*/false);
  EXPECT_TRUE(r.unexpected_keys.empty()) << "unexpected: " << r.unexpected_keys.front();
  for (auto& k : r.missing_keys) {
    bool tied = false;
    for (auto& t : model->tied_weights_keys())
      if (k.size() >= t.size() && k.compare(k.size() - t.size(), t.size(), t) == 0) tied = true;
    EXPECT_TRUE(tied) << "missing key that is not tied: " << k;
  }
  tie_word_embeddings(*model);
  auto typed = std::dynamic_pointer_cast<Model>(model);
  if (!typed) throw ValueError("model is not of the requested C++ type");
  return typed;
}

// Comparisons: the suite's one helper (tests/common/compare.hpp). diff() keeps the name the model
// tests use for the full record (max |err|, max |reference|, worst element).
using Diff = testcmp::Comparison;
using testcmp::allclose;
using testcmp::kFloat32Parity;
using testcmp::max_abs_diff;
inline Diff diff(const Tensor& got, const Tensor& want) { return testcmp::compare(got, want); }

// Stacks per-layer tensors into [n, ...] as the fixtures store them.
inline Tensor stack(const std::vector<Tensor>& v) { return ops::stack(v, 0); }

}  // namespace parity
