// generate() behaviour that needs no model: sampling (seeded, distribution), streaming, stop strings,
// max_time, option merging and argument errors, on a fake causal LM with fixed logits.
//
// Sampling cannot be compared token for token with Python: torch's RNG stream is not ours (see
// ops/random.hpp). What is tested instead: the same seed gives the same tokens, and the empirical
// distribution after temperature/top-k/top-p matches the one those warpers define (chi-square).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numeric>

#include "generation_test_utils.hpp"
#include "transformers/ops/random.hpp"
#include "transformers/tokenizers/tokenizer.hpp"

using namespace transformers;
using namespace gentest;

namespace {

const std::vector<float> kLogits = {2.0f, 1.5f, 1.0f, 0.5f, 0.0f, -0.5f, -1.0f, -3.0f};

std::shared_ptr<FakeCausalLM> fixed_model() { return std::make_shared<FakeCausalLM>(std::vector<std::vector<float>>{kLogits}); }

Tensor prompts(int64_t rows) { return Tensor::from_vector(std::vector<int64_t>(size_t(rows), 0), {rows, 1}); }

TEST(GenerateSampling, SameSeedSameTokensOtherSeedOtherTokens) {
  auto model = fixed_model();
  auto run = [&](uint64_t seed) {
    ops::Generator g(seed);
    return generate(*model, prompts(64), {}, {.max_new_tokens = 6, .do_sample = true, .eos_token_id = std::vector<int64_t>{},
                                              .generator = &g})
        .sequences.to_vector<int64_t>();
  };
  const auto a = run(1234), b = run(1234), c = run(99);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a.size(), size_t(64 * 7));
}

TEST(GenerateSampling, EmpiricalDistributionAfterWarpersMatchesChiSquare) {
  // Expected: softmax(logits / T) over the top-k, then top-p removes the smallest tokens whose
  // cumulative probability (ascending) stays <= 1 - p; renormalised. Computed here in double.
  const double T = 0.7, top_p = 0.9;
  const int64_t top_k = 5;
  std::vector<double> p(kLogits.size(), 0.0);
  double z = 0;
  for (int64_t i = 0; i < top_k; ++i) z += std::exp(kLogits[size_t(i)] / T);  // logits are sorted descending
  for (int64_t i = 0; i < top_k; ++i) p[size_t(i)] = std::exp(kLogits[size_t(i)] / T) / z;
  double cum = 0;
  for (int64_t i = top_k - 1; i >= 0; --i) {
    cum += p[size_t(i)];
    if (cum <= 1 - top_p) p[size_t(i)] = 0;
  }
  const double kept = std::accumulate(p.begin(), p.end(), 0.0);
  for (auto& v : p) v /= kept;
  ASSERT_EQ(p[3], 0.0);  // top-p really removed the 4th and 5th tokens here (cumulative 0.092 <= 0.1)
  ASSERT_GT(p[2], 0.0);

  const int64_t n = 20000;
  auto model = fixed_model();
  ops::Generator g(7);
  auto out = generate(*model, prompts(n), {},
                      {.max_new_tokens = 1, .do_sample = true, .temperature = T, .top_k = top_k, .top_p = top_p,
                       .eos_token_id = std::vector<int64_t>{}, .generator = &g});
  std::vector<int64_t> counts(kLogits.size(), 0);
  const auto seq = out.sequences.to_vector<int64_t>();
  for (int64_t r = 0; r < n; ++r) counts[size_t(seq[size_t(r * 2 + 1)])]++;
  double chi2 = 0;
  int df = -1;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == 0) {
      EXPECT_EQ(counts[i], 0) << "token " << i << " was filtered but sampled";
      continue;
    }
    const double e = p[i] * double(n);
    chi2 += (double(counts[i]) - e) * (double(counts[i]) - e) / e;
    ++df;
  }
  ASSERT_EQ(df, 2);
  // chi-square critical value for 2 degrees of freedom at p = 0.001 is 13.82 (fixed seed: deterministic)
  EXPECT_LT(chi2, 13.82) << "counts " << counts[0] << " " << counts[1] << " " << counts[2] << " " << counts[3];
}

TEST(GenerateSampling, NumReturnSequencesAndBeamSample) {
  auto model = fixed_model();
  ops::Generator g(3);
  auto out = generate(*model, prompts(2), {},
                      {.max_new_tokens = 3, .do_sample = true, .num_return_sequences = 3,
                       .eos_token_id = std::vector<int64_t>{}, .generator = &g});
  EXPECT_EQ(out.sequences.shape(), (Shape{6, 4}));
  auto beams = generate(*model, prompts(2), {},
                        {.max_new_tokens = 3, .do_sample = true, .num_beams = 3, .num_return_sequences = 2,
                         .eos_token_id = std::vector<int64_t>{}, .generator = &g});
  EXPECT_EQ(beams.sequences.shape(), (Shape{4, 4}));
  for (int64_t v : beams.sequences.to_vector<int64_t>()) EXPECT_TRUE(v >= 0 && v < 8);
}

TEST(GenerateStreaming, CallbackReceivesEveryChosenToken) {
  // a chain 0 -> 3 -> 5 -> 1 -> 2(eos): the streamer sees 3, 5, 1, 2 in order
  std::vector<std::vector<float>> table(8, std::vector<float>(8, 0.0f));
  table[0][3] = table[3][5] = table[5][1] = table[1][2] = 10.0f;
  FakeCausalLM model(table);
  std::vector<int64_t> streamed;
  bool ended = false;
  CallbackStreamer streamer([&](const std::vector<int64_t>& t) { streamed.insert(streamed.end(), t.begin(), t.end()); },
                            [&] { ended = true; });
  auto out = generate(model, prompts(1), {},
                      {.max_new_tokens = 10, .pad_token_id = 0, .eos_token_id = std::vector<int64_t>{2}, .streamer = &streamer});
  EXPECT_EQ(streamed, (std::vector<int64_t>{3, 5, 1, 2}));
  EXPECT_TRUE(ended);
  EXPECT_EQ(out.sequences.to_vector<int64_t>(), (std::vector<int64_t>{0, 3, 5, 1, 2}));
}

TEST(GenerateStopping, PadFillsFinishedRowsAndMaxTimeStops) {
  std::vector<std::vector<float>> table(8, std::vector<float>(8, 0.0f));
  table[0][2] = 10.0f;  // row starting at 0 ends at once (eos 2)
  table[4][6] = table[6][4] = 10.0f;  // row starting at 4 alternates
  table[2][7] = 10.0f;
  FakeCausalLM model(table);
  Tensor ids = Tensor::from_vector<int64_t>({0, 4}, {2, 1});
  auto out = generate(model, ids, {}, {.max_new_tokens = 4, .pad_token_id = 5, .eos_token_id = std::vector<int64_t>{2}});
  EXPECT_EQ(out.sequences.to_vector<int64_t>(), (std::vector<int64_t>{0, 2, 5, 5, 5, 4, 6, 4, 6, 4}));
  // max_time = 0: done after the first step (time passed > 0), as Python's MaxTimeCriteria
  auto timed = generate(model, ids, {}, {.max_new_tokens = 4, .max_time = 0.0, .pad_token_id = 5});
  EXPECT_EQ(timed.sequences.size(1), 2);
}

TEST(GenerateStopping, StopStringCriteriaMatchesTransformers) {
  const auto data = load_json("stop_strings.json");
  Tokenizer tok = Tokenizer::from_file(std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/tokenizers/" +
                                       data["tokenizer"].get<std::string>() + "/tokenizer.json");
  StopStringCriteria crit(tok, data["stop_strings"].get<std::vector<std::string>>());
  int positives = 0;
  ASSERT_EQ(data["cases"].size(), 38u);  // every case tests/oracle/make_generation_goldens.py wrote
  for (const auto& c : data["cases"]) {
    TokenRows rows{c["input_ids"].get<std::vector<int64_t>>()};
    EXPECT_EQ(crit.is_done(rows)[0], c["expected"].get<bool>()) << c["input_ids"].dump();
    positives += c["expected"].get<bool>();
  }
  EXPECT_GE(positives, 3);
}

TEST(GenerateStopping, StopStringsEndGeneration) {
  Tokenizer tok = Tokenizer::from_file(std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/tokenizers/gpt2_bpe/tokenizer.json");
  const auto enc = tok.encode("I said stop now and then", {.add_special_tokens = false});
  const int64_t V = int64_t(tok.get_vocab_size());
  std::vector<std::vector<float>> table(size_t(V), std::vector<float>(size_t(V), 0.0f));
  for (size_t i = 0; i + 1 < enc.ids.size(); ++i) table[size_t(enc.ids[i])][size_t(enc.ids[i + 1])] = 10.0f;
  FakeCausalLM model(table);
  Tensor ids = Tensor::from_vector<int64_t>({enc.ids[0]}, {1, 1});
  auto out = generate(model, ids, {},
                      {.max_new_tokens = 10, .stop_strings = std::vector<std::string>{"stop"},
                       .pad_token_id = 0, .eos_token_id = std::vector<int64_t>{}, .tokenizer = &tok});
  const auto seq = out.sequences.to_vector<int64_t>();
  std::vector<int32_t> got(seq.begin(), seq.end());
  const std::string text = tok.decode(got, {.skip_special_tokens = false});
  EXPECT_LT(seq.size(), enc.ids.size());
  EXPECT_EQ(text.substr(text.size() - 4), "stop") << text;
  EXPECT_THROW(generate(model, ids, {}, {.max_new_tokens = 3, .stop_strings = std::vector<std::string>{"stop"}}), ValueError);
}

TEST(GenerateConfig, MergesModelDefaultsAndOptionsAs451) {
  nlohmann::ordered_json model_cfg = {{"eos_token_id", {2, 3}}, {"pad_token_id", 0}, {"max_length", 50},
                                      {"do_sample", true}, {"top_k", 10}};
  auto c = resolve_generation_config(model_cfg, {}, 7);
  EXPECT_EQ(c.max_length, 50);  // the model changed max_length: not "20 new tokens"
  EXPECT_TRUE(c.do_sample);
  EXPECT_EQ(c.top_k, 10);
  EXPECT_EQ(c.pad_token_id, OptionalId(0));
  EXPECT_EQ(c.eos_token_id, (std::vector<int64_t>{2, 3}));
  // explicit None for pad falls back to eos[0]; options override the model
  c = resolve_generation_config(model_cfg, {.max_new_tokens = 5, .min_new_tokens = 2, .do_sample = false,
                                            .pad_token_id = kNoneId}, 7);
  EXPECT_EQ(c.max_length, 12);
  EXPECT_EQ(c.min_length, 9);
  EXPECT_FALSE(c.do_sample);
  EXPECT_EQ(c.pad_token_id, OptionalId(2));
  // default max_length: 20 new tokens, capped by max_position_embeddings
  c = resolve_generation_config({}, {}, 7, 16);
  EXPECT_EQ(c.max_length, 16);
  c = resolve_generation_config({}, {}, 7);
  EXPECT_EQ(c.max_length, 27);
  c = resolve_generation_config({}, {.max_length = 10}, 7);
  EXPECT_EQ(c.max_length, 10);
  c = resolve_generation_config({{"early_stopping", "never"}}, {}, 3);
  EXPECT_EQ(c.early_stopping, EarlyStopping::Never);
  // modes we do not implement are refused, never silently changed; bad values name the key
  EXPECT_THROW(resolve_generation_config({{"num_beam_groups", 2}}, {}, 3), UnsupportedError);
  EXPECT_THROW(resolve_generation_config({{"penalty_alpha", 0.6}, {"top_k", 4}}, {}, 3), UnsupportedError);
  EXPECT_NO_THROW(resolve_generation_config({{"num_beam_groups", 1}, {"penalty_alpha", nullptr}}, {}, 3));
  EXPECT_THROW(resolve_generation_config({{"forced_decoder_ids", {{1, 2}}}}, {}, 3), ValueError);
  EXPECT_THROW(resolve_generation_config({{"early_stopping", "sometimes"}}, {}, 3), FormatError);
  EXPECT_THROW(resolve_generation_config({{"max_length", "long"}}, {}, 3), FormatError);
}

// Every key of the field table (generation_fields.hpp) is read from the model's JSON and overridden
// by the option of the same name; a wrongly typed or null value is a FormatError naming the key.
TEST(GenerateConfig, EveryTableKeyIsReadAndOverridden) {
  nlohmann::ordered_json j = {{"num_beams", 4}, {"num_return_sequences", 2}, {"length_penalty", 0.5},
                              {"typical_p", 0.8}, {"min_p", 0.1}, {"bad_words_ids", {{5, 6}}},
                              {"suppress_tokens", {7}}, {"sequence_bias", {{{4}, 1.5}}},
                              {"exponential_decay_length_penalty", {5, 1.1}}, {"stop_strings", "end"},
                              {"forced_bos_token_id", 1}, {"forced_eos_token_id", 2}, {"top_k", nullptr}};
  auto c = resolve_generation_config(j, {}, 3);
  EXPECT_EQ(c.num_beams, 4);
  EXPECT_EQ(c.num_return_sequences, 2);
  EXPECT_EQ(c.length_penalty, 0.5);
  EXPECT_EQ(c.typical_p, 0.8);
  EXPECT_EQ(c.min_p, std::optional<double>(0.1));
  EXPECT_EQ(c.bad_words_ids, (std::optional<std::vector<std::vector<int64_t>>>{{{5, 6}}}));
  EXPECT_EQ(c.suppress_tokens, (std::optional<std::vector<int64_t>>{{7}}));
  ASSERT_TRUE(c.sequence_bias.has_value());
  EXPECT_EQ(c.sequence_bias->at(0).second, 1.5f);
  EXPECT_EQ(c.exponential_decay_length_penalty, (std::optional<std::pair<int64_t, double>>{{5, 1.1}}));
  EXPECT_EQ(c.stop_strings, (std::vector<std::string>{"end"}));
  EXPECT_EQ(c.forced_bos_token_id, OptionalId(1));
  EXPECT_EQ(c.forced_eos_token_id, (std::vector<int64_t>{2}));
  EXPECT_EQ(c.top_k, 0);  // None: no top-k filtering
  c = resolve_generation_config(j, {.num_beams = 3, .typical_p = 0.9, .num_return_sequences = 1}, 3);
  EXPECT_EQ(c.num_beams, 3);
  EXPECT_EQ(c.typical_p, 0.9);
  EXPECT_EQ(c.num_return_sequences, 1);
  for (const char* key : {"do_sample", "use_cache", "num_beams", "early_stopping", "renormalize_logits"})
    EXPECT_THROW(resolve_generation_config({{key, nullptr}}, {}, 3), FormatError) << key;
  EXPECT_THROW(resolve_generation_config({{"do_sample", "yes"}}, {}, 3), FormatError);
  EXPECT_THROW(resolve_generation_config({{"bad_words_ids", {5, 6}}}, {}, 3), FormatError);
  EXPECT_THROW(resolve_generation_config({{"stop_strings", {"a", 1}}}, {}, 3), FormatError);
  EXPECT_THROW(resolve_generation_config({{"exponential_decay_length_penalty", {5}}}, {}, 3), FormatError);
}

TEST(GenerateConfig, ProcessorOrderIsPythons) {
  ResolvedGenerationConfig c;
  c.max_length = 30;
  c.eos_token_id = {2};
  c.sequence_bias = SequenceBiasLogitsProcessor::SequenceBias{{{4}, 1.0f}};
  c.repetition_penalty = 1.2;
  c.no_repeat_ngram_size = 2;
  c.bad_words_ids = std::vector<std::vector<int64_t>>{{5}};
  c.min_length = 10;
  c.min_new_tokens = 3;
  c.forced_bos_token_id = 1;
  c.forced_eos_token_id = {2};
  c.exponential_decay_length_penalty = std::pair<int64_t, double>{5, 1.1};
  c.suppress_tokens = std::vector<int64_t>{7};
  c.begin_suppress_tokens = std::vector<int64_t>{8};
  c.renormalize_logits = true;
  c.do_sample = true;
  c.temperature = 0.5;
  c.top_p = 0.9;
  c.min_p = 0.1;
  c.typical_p = 0.8;
  c.epsilon_cutoff = 0.01;
  c.eta_cutoff = 0.01;
  EXPECT_EQ(get_logits_processor(c, 4).names(),
            (std::vector<std::string>{"SequenceBiasLogitsProcessor", "RepetitionPenaltyLogitsProcessor",
                                      "NoRepeatNGramLogitsProcessor", "NoBadWordsLogitsProcessor",
                                      "MinLengthLogitsProcessor", "MinNewTokensLengthLogitsProcessor",
                                      "ForcedBOSTokenLogitsProcessor", "ForcedEOSTokenLogitsProcessor",
                                      "ExponentialDecayLengthPenalty", "SuppressTokensLogitsProcessor",
                                      "SuppressTokensAtBeginLogitsProcessor", "TemperatureLogitsWarper",
                                      "TopKLogitsWarper", "TopPLogitsWarper", "MinPLogitsWarper",
                                      "TypicalLogitsWarper", "EpsilonLogitsWarper", "EtaLogitsWarper",
                                      "LogitNormalization"}));
  EXPECT_EQ(get_stopping_criteria(c, nullptr).names(),
            (std::vector<std::string>{"MaxLengthCriteria", "EosTokenCriteria"}));
}

TEST(GenerateErrors, InvalidArgumentsThrowValueError) {
  auto model = fixed_model();
  EXPECT_THROW(generate(*model, prompts(1), {}, {.max_new_tokens = 3, .num_return_sequences = 2}), ValueError);
  EXPECT_THROW(generate(*model, prompts(1), {}, {.max_new_tokens = 3, .num_beams = 2, .num_return_sequences = 3}),
               ValueError);
  EXPECT_THROW(generate(*model, prompts(1), {}, {.max_new_tokens = 0}), ValueError);
  CallbackStreamer s([](const std::vector<int64_t>&) {});
  EXPECT_THROW(generate(*model, prompts(1), {}, {.max_new_tokens = 3, .num_beams = 2, .streamer = &s}), ValueError);
  EXPECT_THROW(generate(*model, Tensor::from_vector<int64_t>({1, 2}), {}, {}), ShapeError);
  EXPECT_THROW(generate(*model, prompts(2), Tensor::from_vector<int64_t>({1, 1, 1}, {1, 3}), {}), ShapeError);
}

}  // namespace
