// Every case of the five golden fixtures made with Hugging Face tokenizers/transformers.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "transformers/tokenizers/auto_tokenizer.hpp"
#include "transformers/tokenizers/tokenizer.hpp"

using nlohmann::json;
using transformers::Tokenizer;

namespace {

const std::string kDir = std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/tokenizers/";

json load(const std::string& path) {
  std::ifstream f(path);
  return json::parse(f);
}

// How many cases each shared fixture's expected.json holds: a truncated or emptied file fails
// instead of passing with fewer (or no) checks.
std::size_t expected_case_count(const std::string& name) {
  return name == "gpt2_bpe" || name == "bert_wordpiece" ? 36 : 35;
}

class Fixture : public ::testing::TestWithParam<std::string> {};

TEST_P(Fixture, Cases) {
  const std::string name = GetParam();
  Tokenizer tok = Tokenizer::from_file(kDir + name + "/tokenizer.json");
  json exp = load(kDir + name + "/expected.json");
  EXPECT_EQ(exp["cases"].size(), expected_case_count(name));
  for (const auto& c : exp["cases"]) {
    std::string text = c["text"];
    SCOPED_TRACE("text: " + text);
    auto enc = tok.encode(text, {.add_special_tokens = true});
    std::vector<int32_t> ids(enc.ids.begin(), enc.ids.end());
    EXPECT_EQ(ids, c["ids"].get<std::vector<int32_t>>());
    // The fixtures' tokens are transformers' convert_ids_to_tokens(ids) (a Unigram unk shows as
    // "<unk>" there, while Encoding.tokens keeps the covered text, as Python tokenizers does).
    std::vector<std::string> toks;
    for (int32_t id : enc.ids) toks.push_back(tok.id_to_token(id).value_or("?"));
    EXPECT_EQ(toks, c["tokens"].get<std::vector<std::string>>());
    std::vector<std::pair<std::size_t, std::size_t>> offs;
    for (const auto& o : c["offsets"]) offs.emplace_back(o[0].get<std::size_t>(), o[1].get<std::size_t>());
    EXPECT_EQ(enc.offsets, offs);
    auto plain = tok.encode(text, {.add_special_tokens = false});
    EXPECT_EQ(plain.ids, c["ids_no_special"].get<std::vector<int32_t>>());
    EXPECT_EQ(tok.decode(enc.ids, {.skip_special_tokens = false}), c["decode"].get<std::string>());
    EXPECT_EQ(tok.decode(enc.ids, {.skip_special_tokens = true}), c["decode_skip_special"].get<std::string>());
  }
}

INSTANTIATE_TEST_SUITE_P(HF, Fixture,
                         ::testing::Values("gpt2_bpe", "bert_wordpiece", "unigram_metaspace", "llama2_bytefallback",
                                           "llama3_regex_bpe"));

}  // namespace

namespace {

class AutoFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(AutoFixture, PaddedTruncatedBatch) {
  const std::string name = GetParam();
  auto tok = transformers::AutoTokenizer::from_pretrained(kDir + name);
  json exp = load(kDir + name + "/expected.json")["batch_pad_trunc_12"];
  auto texts = exp["texts"].get<std::vector<std::string>>();
  auto batch = tok(texts, {.padding = transformers::Padding::Longest, .truncation = true, .max_length = 12});
  EXPECT_EQ(batch.input_ids, exp["input_ids"].get<std::vector<std::vector<int64_t>>>());
  EXPECT_EQ(batch.attention_mask, exp["attention_mask"].get<std::vector<std::vector<int64_t>>>());
}

TEST_P(AutoFixture, DecodeLikeTransformers) {
  const std::string name = GetParam();
  auto tok = transformers::AutoTokenizer::from_pretrained(kDir + name);
  json exp = load(kDir + name + "/expected.json");
  EXPECT_EQ(exp["cases"].size(), expected_case_count(name));
  for (const auto& c : exp["cases"]) {
    std::string text = c["text"];
    SCOPED_TRACE("text: " + text);
    auto ids = tok.encode(text);
    EXPECT_EQ(ids, c["ids"].get<std::vector<int64_t>>());
    EXPECT_EQ(tok.decode(ids), c["decode"].get<std::string>());
    EXPECT_EQ(tok.decode(ids, {.skip_special_tokens = true}), c["decode_skip_special"].get<std::string>());
  }
}

INSTANTIATE_TEST_SUITE_P(HF, AutoFixture,
                         ::testing::Values("gpt2_bpe", "bert_wordpiece", "unigram_metaspace", "llama2_bytefallback",
                                           "llama3_regex_bpe"));

}  // namespace
