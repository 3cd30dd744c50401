#pragma once
// Helpers shared by the generation tests: JSON test data, fixture models, a fake causal LM.
#include <fstream>
#include <limits>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "transformers/generation/utils.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/models/register_all.hpp"

namespace gentest {

using namespace transformers;

inline nlohmann::json load_json(const std::string& name) {
  std::ifstream f(std::string(TRANSFORMERS_TEST_DATA_DIR) + "/generation/" + name);
  if (!f) throw std::runtime_error("missing test data " + name);
  return nlohmann::json::parse(f);
}

inline float as_float(const nlohmann::json& v) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "inf") return std::numeric_limits<float>::infinity();
    if (s == "-inf") return -std::numeric_limits<float>::infinity();
    return std::numeric_limits<float>::quiet_NaN();
  }
  return float(v.get<double>());
}

inline Tensor int_tensor(const nlohmann::json& rows) {
  std::vector<int64_t> flat;
  for (const auto& r : rows)
    for (const auto& v : r) flat.push_back(v.get<int64_t>());
  return Tensor::from_vector(flat, {int64_t(rows.size()), int64_t(rows[0].size())});
}

inline std::string fixture_model_dir(const std::string& arch) {
  return std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/models/" + arch + "/model";
}

inline const char* causal_lm_class(const std::string& arch) {
  return arch == "gpt2" ? "GPT2LMHeadModel" : "LlamaForCausalLM";
}

// The fixture model loaded with eager attention (as the goldens were made), or nullptr when the
// architecture is not registered in this build.
inline std::shared_ptr<PreTrainedModel> load_fixture_model(const std::string& arch) {
  register_all_models();
  const ModelClassInfo* info = find_model_class(causal_lm_class(arch));
  if (!info) return nullptr;
  FromPretrainedOptions opts;
  opts.attn_implementation = "eager";
  return load_pretrained_model(info->factory, info->class_name, fixture_model_dir(arch), opts);
}

// A causal LM whose next-token logits are a fixed function of the last token: row `last % rows` of
// `table`. No cache use; forward sees the whole sequence each step.
class FakeCausalLM : public PreTrainedModel {
 public:
  FakeCausalLM(std::vector<std::vector<float>> table)
      : PreTrainedModel(std::make_shared<PretrainedConfig>(
            nlohmann::ordered_json{{"vocab_size", int64_t(table[0].size())}, {"eos_token_id", nullptr}})),
        table_(std::move(table)) {}
  ModelOutput forward(const ModelInputs& in) override {
    const int64_t b = in.input_ids.size(0), l = in.input_ids.size(1), v = int64_t(table_[0].size());
    std::vector<float> out;
    const auto ids = in.input_ids.to_vector<int64_t>();
    for (int64_t r = 0; r < b; ++r) {
      const auto& row = table_[size_t(ids[size_t(r * l + l - 1)]) % table_.size()];
      out.insert(out.end(), row.begin(), row.end());
    }
    ++calls;
    ModelOutput o;
    o.logits = Tensor::from_vector(out, {b, 1, v});
    return o;
  }
  std::string base_model_prefix() const override { return "fake"; }
  bool can_generate() const override { return true; }
  int calls = 0;

 private:
  std::vector<std::vector<float>> table_;
};

}  // namespace gentest
