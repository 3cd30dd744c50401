// Issue 29 items 3 and 9: a Precompiled charsmap whose replacement strings are not valid UTF-8
// (read past its buffer under valgrind) is refused at load as Hugging Face tokenizers refuses it,
// and WordPiece on one long word is no longer cubic. Goldens from tokenizers:
// tests/oracle/make_sizes_tokenizer_goldens.py -> tests/data/tokenizers/sizes/.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "transformers/core/error.hpp"
#include "transformers/tokenizers/tokenizer.hpp"

namespace {

using nlohmann::json;
using transformers::Tokenizer;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kData = std::string(TRANSFORMERS_TEST_DATA_DIR) + "/tokenizers/";

// Standard base64 (the charsmap's encoding), just enough to change one byte of the map.
const std::string kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
std::string b64_decode(const std::string& in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const size_t v = kB64.find(c);
    if (v == std::string::npos) continue;  // '=' padding
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xFF));
    }
  }
  return out;
}
std::string b64_encode(const std::string& in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kB64[(v >> s) & 63]);
  }
  if (i < in.size()) {
    const uint32_t v = uint32_t(uint8_t(in[i])) << 16 | (i + 1 < in.size() ? uint32_t(uint8_t(in[i + 1])) << 8 : 0);
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

json* find_precompiled(json& node) {
  if (node.is_object()) {
    if (node.value("type", "") == "Precompiled") return &node;
    for (auto& [k, v] : node.items())
      if (json* r = find_precompiled(v)) return r;
  } else if (node.is_array()) {
    for (auto& v : node)
      if (json* r = find_precompiled(v)) return r;
  }
  return nullptr;
}

TEST(TokenizerSizes, PrecompiledCharsmapWithInvalidUtf8IsRefusedAtLoad) {
  const json golden = json::parse(slurp(kData + "sizes/precompiled_bad_utf8.json"));
  ASSERT_FALSE(golden["loads"].get<bool>()) << "tokenizers accepted the damaged charsmap; the golden is stale";
  json tok = json::parse(slurp(kData + "models/t5_precompiled/tokenizer.json"));
  json* pc = find_precompiled(tok["normalizer"]);
  ASSERT_NE(pc, nullptr);
  const std::string original = (*pc)["precompiled_charsmap"].get<std::string>();
  ASSERT_EQ(b64_encode(b64_decode(original)), original) << "the test's base64 does not round-trip the charsmap";
  // Intact, the tokenizer loads and normalizes.
  EXPECT_NO_THROW(Tokenizer::from_str(tok.dump()).encode("Hello \xEF\xAC\x81 world"));
  std::string raw = b64_decode(original);
  const size_t at = golden["blob_offset"].get<size_t>();
  ASSERT_LT(at, raw.size());
  raw[at] = char(golden["byte"].get<int>());
  (*pc)["precompiled_charsmap"] = b64_encode(raw);
  try {
    Tokenizer::from_str(tok.dump());
    FAIL() << "a charsmap with an incomplete UTF-8 sequence was accepted";
  } catch (const transformers::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("precompiled_charsmap"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos) << e.what();
  }
}

TEST(TokenizerSizes, WordPieceOnLongWordsIsLinearAndEqualsTokenizers) {
  const json golden = json::parse(slurp(kData + "sizes/wordpiece_long_words.json"));
  json tj = json::parse(slurp(std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/tokenizers/bert_wordpiece/tokenizer.json"));
  tj["model"]["max_input_chars_per_word"] = golden["max_input_chars_per_word"];
  const Tokenizer tok = Tokenizer::from_str(tj.dump());
  ASSERT_EQ(golden["cases"].size(), 3u);
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& c : golden["cases"]) {
    const std::string word = c["word"].get<std::string>();
    const auto ids = tok.encode(word, {.add_special_tokens = false}).ids;
    const auto want = c["ids"].get<std::vector<int64_t>>();
    ASSERT_EQ(ids.size(), want.size()) << "word of " << word.size() << " bytes";
    for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(int64_t(ids[i]), want[i]) << "piece " << i << " of a " << word.size() << "-byte word";
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // The cubic loop took 19 s on one 10k-character word; the bounded one takes milliseconds.
  EXPECT_LT(s, 3.0) << "three long words took " << s << " s";
}

}  // namespace
