// Every logits processor / warper against transformers 4.51.3 on the same input_ids and scores
// (tests/data/generation/processors.json, made by tests/oracle/make_generation_goldens.py).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "transformers/generation/logits_process.hpp"

using namespace transformers;
using nlohmann::json;

namespace {

json load_json(const std::string& name) {
  std::ifstream f(std::string(TRANSFORMERS_TEST_DATA_DIR) + "/generation/" + name);
  if (!f) throw std::runtime_error("missing test data " + name);
  return json::parse(f);
}

float as_float(const json& v) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "inf") return std::numeric_limits<float>::infinity();
    if (s == "-inf") return -std::numeric_limits<float>::infinity();
    return std::numeric_limits<float>::quiet_NaN();
  }
  return float(v.get<double>());
}

Tensor float_tensor(const json& rows) {
  std::vector<float> flat;
  for (const auto& r : rows)
    for (const auto& v : r) flat.push_back(as_float(v));
  return Tensor::from_vector(flat, {int64_t(rows.size()), int64_t(rows[0].size())});
}

Tensor int_tensor(const json& rows) {
  std::vector<int64_t> flat;
  for (const auto& r : rows)
    for (const auto& v : r) flat.push_back(v.get<int64_t>());
  return Tensor::from_vector(flat, {int64_t(rows.size()), int64_t(rows[0].size())});
}

std::shared_ptr<LogitsProcessor> make(const std::string& cls, const json& p) {
  auto ids = [&](const char* k) { return p.at(k).get<std::vector<int64_t>>(); };
  auto keep = [&]() { return p.value("min_tokens_to_keep", int64_t(1)); };
  const float inf = -std::numeric_limits<float>::infinity();
  if (cls == "RepetitionPenaltyLogitsProcessor")
    return std::make_shared<RepetitionPenaltyLogitsProcessor>(p.at("penalty").get<double>());
  if (cls == "NoRepeatNGramLogitsProcessor")
    return std::make_shared<NoRepeatNGramLogitsProcessor>(p.at("ngram_size").get<int64_t>());
  if (cls == "NoBadWordsLogitsProcessor")
    return std::make_shared<NoBadWordsLogitsProcessor>(p.at("bad_words_ids").get<std::vector<std::vector<int64_t>>>(),
                                                       ids("eos_token_id"));
  if (cls == "MinLengthLogitsProcessor")
    return std::make_shared<MinLengthLogitsProcessor>(p.at("min_length").get<int64_t>(), ids("eos_token_id"));
  if (cls == "MinNewTokensLengthLogitsProcessor")
    return std::make_shared<MinNewTokensLengthLogitsProcessor>(p.at("prompt_length_to_skip").get<int64_t>(),
                                                               p.at("min_new_tokens").get<int64_t>(), ids("eos_token_id"));
  if (cls == "ForcedBOSTokenLogitsProcessor")
    return std::make_shared<ForcedBOSTokenLogitsProcessor>(p.at("bos_token_id").get<int64_t>());
  if (cls == "ForcedEOSTokenLogitsProcessor")
    return std::make_shared<ForcedEOSTokenLogitsProcessor>(p.at("max_length").get<int64_t>(), ids("eos_token_id"));
  if (cls == "SuppressTokensLogitsProcessor")
    return std::make_shared<SuppressTokensLogitsProcessor>(ids("suppress_tokens"));
  if (cls == "SuppressTokensAtBeginLogitsProcessor")
    return std::make_shared<SuppressTokensAtBeginLogitsProcessor>(ids("begin_suppress_tokens"),
                                                                  p.at("begin_index").get<int64_t>());
  if (cls == "ExponentialDecayLengthPenalty")
    return std::make_shared<ExponentialDecayLengthPenalty>(
        std::pair<int64_t, double>{p.at("start_index").get<int64_t>(), p.at("decay_factor").get<double>()},
        ids("eos_token_id"), p.at("input_ids_seq_length").get<int64_t>());
  if (cls == "LogitNormalization") return std::make_shared<LogitNormalization>();
  if (cls == "InfNanRemoveLogitsProcessor") return std::make_shared<InfNanRemoveLogitsProcessor>();
  if (cls == "SequenceBiasLogitsProcessor") {
    SequenceBiasLogitsProcessor::SequenceBias sb;
    for (const auto& e : p.at("sequence_bias")) sb.emplace_back(e[0].get<std::vector<int64_t>>(), e[1].get<float>());
    return std::make_shared<SequenceBiasLogitsProcessor>(sb);
  }
  if (cls == "TemperatureLogitsWarper")
    return std::make_shared<TemperatureLogitsWarper>(p.at("temperature").get<double>());
  if (cls == "TopKLogitsWarper") return std::make_shared<TopKLogitsWarper>(p.at("top_k").get<int64_t>(), inf, keep());
  if (cls == "TopPLogitsWarper") return std::make_shared<TopPLogitsWarper>(p.at("top_p").get<double>(), inf, keep());
  if (cls == "MinPLogitsWarper") return std::make_shared<MinPLogitsWarper>(p.at("min_p").get<double>(), inf, keep());
  if (cls == "TypicalLogitsWarper")
    return std::make_shared<TypicalLogitsWarper>(p.at("mass").get<double>(), inf, keep());
  if (cls == "EpsilonLogitsWarper")
    return std::make_shared<EpsilonLogitsWarper>(p.at("epsilon").get<double>(), inf, keep());
  if (cls == "EtaLogitsWarper") return std::make_shared<EtaLogitsWarper>(p.at("epsilon").get<double>(), inf, keep());
  throw std::runtime_error("no processor " + cls);
}

}  // namespace

TEST(LogitsProcessors, MatchTransformers451OnFixedLogits) {
  const json data = load_json("processors.json");
  ASSERT_EQ(data["cases"].size(), 36u);  // every case tests/oracle/make_generation_goldens.py wrote
  for (const auto& c : data["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    auto proc = make(c["processor"].get<std::string>(), c["params"]);
    Tensor ids = int_tensor(c["input_ids"]);
    Tensor scores = float_tensor(c["scores"]);
    Tensor before = scores.clone();
    Tensor out = (*proc)(ids, scores);
    {  // input untouched (bitwise, NaN included)
      const auto a = scores.to_vector<float>(), b = before.to_vector<float>();
      EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
    }
    Tensor expected = float_tensor(c["expected"]);
    ASSERT_EQ(out.shape(), expected.shape());
    const auto o = out.to_vector<float>(), e = expected.to_vector<float>();
    // Masking, biasing, penalties and temperature are single float32 operations: exact. Only
    // LogitNormalization computes new values through exp/log: float32 with a different summation
    // order than torch's vectorised kernel, so within 2e-6 absolute (scores are O(10)).
    const double tol = c["processor"] == "LogitNormalization" ? 2e-6 : 0.0;
    for (size_t i = 0; i < e.size(); ++i) {
      if (std::isnan(e[i]) || std::isinf(e[i])) {
        EXPECT_TRUE((std::isnan(e[i]) && std::isnan(o[i])) || o[i] == e[i]) << "index " << i << ": " << o[i] << " vs " << e[i];
      } else {
        EXPECT_NEAR(o[i], e[i], tol) << "index " << i;
      }
    }
  }
}

TEST(LogitsProcessors, ListAppliesInOrder) {
  LogitsProcessorList list;
  list.push_back(std::make_shared<TemperatureLogitsWarper>(0.5));
  list.push_back(std::make_shared<TopKLogitsWarper>(2));
  Tensor scores = Tensor::from_vector<float>({1.f, 3.f, 2.f, 0.f}, {1, 4});
  Tensor ids = Tensor::from_vector<int64_t>({0}, {1, 1});
  auto out = list(ids, scores).to_vector<float>();
  const float ninf = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(out, (std::vector<float>{ninf, 6.f, 4.f, ninf}));
  EXPECT_EQ(list.names(), (std::vector<std::string>{"TemperatureLogitsWarper", "TopKLogitsWarper"}));
}

TEST(LogitsProcessors, BadArgumentsThrowValueError) {
  EXPECT_THROW(TemperatureLogitsWarper(0.0), ValueError);
  EXPECT_THROW(RepetitionPenaltyLogitsProcessor(-1.0), ValueError);
  EXPECT_THROW(TopKLogitsWarper(0), ValueError);
  EXPECT_THROW(TopPLogitsWarper(1.5), ValueError);
  EXPECT_THROW(TypicalLogitsWarper(1.0), ValueError);
  EXPECT_THROW(EpsilonLogitsWarper(0.0), ValueError);
  EXPECT_THROW(NoRepeatNGramLogitsProcessor(0), ValueError);
  EXPECT_THROW(NoBadWordsLogitsProcessor({}), ValueError);
  EXPECT_THROW(MinLengthLogitsProcessor(-1, {2}), ValueError);
  // a token outside the vocabulary is an error naming it, never a crash
  RepetitionPenaltyLogitsProcessor rp(1.2);
  Tensor scores = Tensor::zeros({1, 4});
  EXPECT_THROW(rp(Tensor::from_vector<int64_t>({7}, {1, 1}), scores), ValueError);
  EXPECT_THROW(rp(Tensor::from_vector<int64_t>({1}, {1}), scores), ShapeError);
  SequenceBiasLogitsProcessor sb({{{9}, 1.0f}});
  EXPECT_THROW(sb(Tensor::from_vector<int64_t>({1}, {1, 1}), scores), ValueError);
}
