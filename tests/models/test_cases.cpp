// Wider parity: tiny random models made by tests/oracle/models_parity.py with transformers 4.51
// (tests/data/models/cases/<name>/), covering rope types, GQA/MQA, biases, head_dim, decoder BERT,
// GPT-2 scaling flags, padding left/right/middle, explicit position_ids and one cached decode step.
// Tolerance: the suite's float32 parity bound (tests/common/compare.hpp) on logits whose scale is ~5
// (float32 reorderings give ~1e-6).
#include <filesystem>

#include "models/parity_util.hpp"
#include "transformers/io/safetensors.hpp"

using namespace transformers;
using namespace parity;

namespace {

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(test_data("cases"))) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class OracleCase : public ::testing::TestWithParam<std::string> {};

Tensor output_of(const ModelOutput& o, const std::string& key) {
  return key == "logits" ? o.logits : o.last_hidden_state;
}

TEST_P(OracleCase, MatchesTransformers451) {
  const fs::path dir = test_data("cases") / GetParam();
  io::SafetensorsReader reader(dir / "expected.safetensors");
  const auto& meta = reader.metadata();
  const std::string cls = json::parse(meta.at("class")).get<std::string>();
  const std::string key = json::parse(meta.at("output")).get<std::string>();
  const bool decode_step = json::parse(meta.at("decode_step")).get<bool>();
  auto exp = load_tensors(dir / "expected.safetensors");

  ModelInputs in;
  in.input_ids = exp.at("input_ids");
  in.attention_mask = exp.at("attention_mask");
  if (exp.count("position_ids")) in.position_ids = exp.at("position_ids");
  if (exp.count("token_type_ids")) in.token_type_ids = exp.at("token_type_ids");

  auto eager = load_model(dir, cls, "eager");
  ModelInputs full = in;
  full.output_hidden_states = true;
  full.output_attentions = true;
  ModelOutput o = eager->forward(full);
  const double err = max_abs_diff(output_of(o, key), exp.at("logits"));
  EXPECT_TRUE(allclose(output_of(o, key), exp.at("logits"))) << "eager " << key;
  EXPECT_TRUE(allclose(stack(o.hidden_states), exp.at("hidden_states")));
  EXPECT_TRUE(allclose(stack(o.attentions), exp.at("attentions"), {.atol = 1e-5}));

  auto sdpa = load_model(dir, cls, "sdpa");
  const Tensor sdpa_out = output_of(sdpa->forward(in), key);
  const double err_sdpa = max_abs_diff(sdpa_out, exp.at("logits_sdpa"));
  EXPECT_TRUE(allclose(sdpa_out, exp.at("logits_sdpa"))) << "sdpa";
  std::printf("%s: max|err| eager %.3g sdpa %.3g\n", GetParam().c_str(), err, err_sdpa);

  if (decode_step) {
    const int64_t s = in.input_ids.size(1);
    for (auto* model : {eager.get(), sdpa.get()}) {
      Cache cache({.max_cache_len = s});
      ModelInputs pre;
      pre.input_ids = in.input_ids.narrow(1, 0, s - 1);
      pre.attention_mask = in.attention_mask.narrow(1, 0, s - 1);
      if (in.position_ids.defined()) pre.position_ids = in.position_ids.narrow(1, 0, s - 1);
      pre.past_key_values = &cache;
      pre.use_cache = true;
      model->forward(pre);
      EXPECT_EQ(cache.get_seq_length(), s - 1);
      ModelInputs step;
      step.input_ids = in.input_ids.narrow(1, s - 1, 1);
      step.attention_mask = in.attention_mask;
      if (in.position_ids.defined()) step.position_ids = in.position_ids.narrow(1, s - 1, 1);
      step.past_key_values = &cache;
      step.use_cache = true;
      ModelOutput so = model->forward(step);
      EXPECT_EQ(cache.get_seq_length(), s);
      const char* want = model == eager.get() ? "step_logits" : "step_logits_sdpa";
      EXPECT_TRUE(allclose(so.logits, exp.at(want))) << want;
    }
  }
}

// The number of case folders the oracle scripts write (raise it with a new case): 16 from
// tests/oracle/models_parity.py and 7 + 6 (Gemma, Gemma 2) + 3 (Phi-3) + 2 (OLMo 2) + 4 (sequence
// classification of Llama, Qwen2, Qwen3, Mistral) from tests/oracle/make_decoder_family_cases.py, and
// 3 (Mixtral) from tests/oracle/make_moe_cases.py, 2 (Gemma 3 text) from tests/oracle/make_gemma3_cases.py
// and 3 (Qwen2-MoE) from tests/oracle/make_qwen2_moe_cases.py.
// A lost folder fails instead of silently running fewer cases (an empty folder would instantiate no
// test at all).
constexpr size_t kOracleCases = 16 + 7 + 6 + 3 + 2 + 4 + 3 + 2 + 3;
TEST(OracleCases, EveryCaseFolderPresent) { EXPECT_EQ(case_names().size(), kOracleCases); }

INSTANTIATE_TEST_SUITE_P(Models, OracleCase, ::testing::ValuesIn(case_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
