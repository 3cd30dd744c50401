// The wide oracle corpus (tests/oracle/make_tokenizer_corpus.py): ~2900 texts through 17
// tokenizer.json files, compared line by line with what Python `tokenizers` gave.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "transformers/tokenizers/tokenizer.hpp"

using nlohmann::json;
using transformers::Tokenizer;

namespace {

const std::string kData = std::string(TRANSFORMERS_TEST_DATA_DIR) + "/tokenizers/";
const std::string kFixtures = std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/tokenizers/";

std::string fnv1a(const std::string& s) {
  uint32_t h = 0x811C9DC5u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x01000193u;
  }
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", h);
  return buf;
}

template <typename T>
std::string ids_str(const std::vector<T>& ids) {
  std::string s;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(ids[i]);
  }
  return s;
}

std::string offsets_str(const std::vector<transformers::Offsets>& o) {
  std::string s;
  for (std::size_t i = 0; i < o.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(o[i].first) + "-" + std::to_string(o[i].second);
  }
  return s;
}

const std::vector<std::string>& corpus() {
  static std::vector<std::string> lines = [] {
    std::vector<std::string> v;
    std::ifstream f(kData + "corpus.jsonl");
    std::string line;
    while (std::getline(f, line)) v.push_back(json::parse(line).get<std::string>());
    return v;
  }();
  return lines;
}

std::string tokenizer_path(const std::string& name) {
  std::string fixture = kFixtures + name + "/tokenizer.json";
  if (std::filesystem::exists(kData + "models/" + name + "/tokenizer.json")) return kData + "models/" + name + "/tokenizer.json";
  return fixture;
}

std::vector<std::string> names() {
  std::ifstream f(kData + "expected/meta.json");
  json meta = json::parse(f);
  std::vector<std::string> v;
  for (auto it = meta["tokenizers"].begin(); it != meta["tokenizers"].end(); ++it) v.push_back(it.key());
  return v;
}

class Corpus : public ::testing::TestWithParam<std::string> {};

TEST_P(Corpus, MatchesPythonTokenizers) {
  const std::string name = GetParam();
  Tokenizer tok = Tokenizer::from_file(tokenizer_path(name));
  const auto& texts = corpus();
  ASSERT_GT(texts.size(), 2000u);
  std::ifstream f(kData + "expected/" + name + ".txt");
  ASSERT_TRUE(f) << "missing expected file for " << name;
  std::size_t bad = 0, n = 0;
  std::string line;
  for (std::size_t i = 0; std::getline(f, line); ++i, ++n) {
    ASSERT_LT(i, texts.size());
    std::istringstream ss(line);
    std::size_t count;
    std::string h_ids, h_off, h_text;
    ss >> count >> h_ids >> h_off >> h_text;
    auto e = tok.encode(texts[i], {.add_special_tokens = true});
    std::string text;
    for (std::size_t k = 0; k < e.tokens.size(); ++k) {
      if (k) text += '\x1f';
      text += e.tokens[k];
    }
    std::string dec = tok.decode(e.ids, {.skip_special_tokens = false});
    std::string dec_skip = tok.decode(e.ids, {.skip_special_tokens = true});
    text += '\x1e' + dec + '\x1e' + dec_skip;
    bool ok_ids = e.ids.size() == count && fnv1a(ids_str(e.ids)) == h_ids;
    bool ok_off = fnv1a(offsets_str(e.offsets)) == h_off;
    bool ok_text = fnv1a(text) == h_text;
    if (!(ok_ids && ok_off && ok_text)) {
      if (++bad <= 8) {
        ADD_FAILURE() << name << " line " << i << " text " << json(texts[i]).dump() << (ok_ids ? "" : " [ids differ]")
                      << (ok_off ? "" : " [offsets differ]") << (ok_text ? "" : " [tokens/decode differ]")
                      << "\n  ours: ids " << ids_str(e.ids) << "\n  offsets " << offsets_str(e.offsets)
                      << "\n  tokens " << json(e.tokens).dump() << "\n  decode " << json(dec).dump();
      }
    }
  }
  EXPECT_EQ(n, texts.size());
  EXPECT_EQ(bad, 0u) << bad << " of " << n << " lines differ for " << name;
}

TEST_P(Corpus, PairsMatchPythonTokenizers) {
  const std::string name = GetParam();
  Tokenizer tok = Tokenizer::from_file(tokenizer_path(name));
  const auto& texts = corpus();
  std::ifstream f(kData + "expected/" + name + ".pairs.txt");
  ASSERT_TRUE(f);
  std::size_t i, j, count, bad = 0, n = 0;
  std::string h_ids, h_types;
  while (f >> i >> j >> count >> h_ids >> h_types) {
    ++n;
    auto e = tok.encode_pair(texts.at(i), texts.at(j), {.add_special_tokens = true});
    if (e.ids.size() != count || fnv1a(ids_str(e.ids)) != h_ids || fnv1a(ids_str(e.type_ids)) != h_types) {
      if (++bad <= 5)
        ADD_FAILURE() << name << " pair " << i << "," << j << " ids " << ids_str(e.ids) << " types " << ids_str(e.type_ids);
    }
  }
  EXPECT_GT(n, 100u);
  EXPECT_EQ(bad, 0u);
}

INSTANTIATE_TEST_SUITE_P(Oracle, Corpus, ::testing::ValuesIn(names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
