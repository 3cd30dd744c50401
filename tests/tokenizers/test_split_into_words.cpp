// Pre-tokenized input (transformers' is_split_into_words=True) through
// PreTrainedTokenizerFast::call_split_into_words, against transformers 4.51.3's fast tokenizers
// (tests/oracle/make_split_into_words_cases.py -> tests/data/python/split_into_words_hf451.json, which
// the Python package's test reads too): ids, type ids, offsets within each word, word ids, tokens.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "transformers/tokenizers/auto_tokenizer.hpp"

using json = nlohmann::json;
using namespace transformers;
namespace fs = std::filesystem;

namespace {

json load_cases() {
  std::ifstream f(fs::path(TRANSFORMERS_TEST_DATA_DIR) / "python" / "split_into_words_hf451.json");
  std::stringstream ss;
  ss << f.rdbuf();
  return json::parse(ss.str());
}

void expect_row(const BatchEncoding& b, const json& exp, size_t row, const std::string& what) {
  SCOPED_TRACE(what + " row " + std::to_string(row));
  const Encoding& e = b.encodings.at(row);
  EXPECT_EQ(b.input_ids.at(row), exp["input_ids"][row].get<std::vector<int64_t>>());
  EXPECT_EQ(b.attention_mask.at(row), exp["attention_mask"][row].get<std::vector<int64_t>>());
  if (exp.contains("token_type_ids"))
    EXPECT_EQ(b.token_type_ids.at(row), exp["token_type_ids"][row].get<std::vector<int64_t>>());
  std::vector<std::vector<size_t>> offsets;
  for (const auto& [s, t] : e.offsets) offsets.push_back({s, t});
  EXPECT_EQ(offsets, exp["offset_mapping"][row].get<std::vector<std::vector<size_t>>>());
  std::vector<int64_t> word_ids, want_words;
  for (int32_t w : e.word_ids) word_ids.push_back(w);
  for (const auto& w : exp["word_ids"][row]) want_words.push_back(w.is_null() ? -1 : w.get<int64_t>());
  EXPECT_EQ(word_ids, want_words);
  EXPECT_EQ(e.tokens, exp["tokens"][row].get<std::vector<std::string>>());
}

}  // namespace

TEST(SplitIntoWords, EqualsTransformers451OnEveryFixtureTokenizer) {
  const json d = load_cases();
  const auto row = d["row"].get<Tokenizer::Words>();
  const auto pair = d["pair"].get<Tokenizer::Words>();
  const auto batch = d["batch"].get<std::vector<Tokenizer::Words>>();
  ASSERT_EQ(d["cases"].size(), 5u);
  for (const auto& [name, c] : d["cases"].items()) {
    SCOPED_TRACE(name);
    auto tok = AutoTokenizer::from_pretrained((fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf" / "tokenizers" / name).string());
    expect_row(tok.call_split_into_words({row}, nullptr), c["row"], 0, "row");
    const std::vector<Tokenizer::Words> pairs{pair};
    expect_row(tok.call_split_into_words({row}, &pairs), c["pair"], 0, "pair");
    const BatchEncoding b = tok.call_split_into_words(
        batch, nullptr, {.padding = Padding::Longest, .truncation = true, .max_length = 8});
    for (size_t i = 0; i < 2; ++i) expect_row(b, c["batch"], i, "batch");
  }
}
