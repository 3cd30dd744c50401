// The fast safetensors header reader against the full JSON parser: on every fixture header it must
// answer, and answer the same; on texts outside its subset it must defer (nullopt); on thousands of
// mutated headers, whenever it answers, the full parser must accept the text with the same result.
#include <random>

#include "io/safetensors_header.hpp"
#include "io_test_util.hpp"

using namespace transformers;
using namespace iotest;
using io::detail::parse_header_fast;
using io::detail::parse_header_json;

namespace {

std::string header_text(const fs::path& file) {
  const std::string bytes = read_file(file);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(bytes[size_t(i)]);
  return bytes.substr(8, size_t(n));
}

std::vector<fs::path> fixture_safetensors() {
  std::vector<fs::path> out;
  for (auto& e : fs::recursive_directory_iterator(fs::path(TRANSFORMERS_FIXTURES_DIR)))
    if (e.is_regular_file() && e.path().extension() == ".safetensors") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(SafetensorsHeader, FastReaderAnswersEveryFixtureHeaderLikeTheJsonParser) {
  const auto files = fixture_safetensors();
  ASSERT_GE(files.size(), 10u);
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    const std::string text = header_text(f);
    std::optional<io::detail::ParsedHeader> slow;
    try {
      slow = parse_header_json(text, f.string());
    } catch (const FormatError&) {
      EXPECT_FALSE(parse_header_fast(text).has_value());  // a deliberately broken fixture
      continue;
    }
    const auto fast = parse_header_fast(text);
    ASSERT_TRUE(fast.has_value());
    EXPECT_EQ(*fast, *slow);
  }
}

TEST(SafetensorsHeader, OutsideTheSubsetTheFastReaderDefers) {
  const std::string t = R"("t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  const std::vector<std::string> deferred = {
           std::string(""), std::string("[]"), std::string("{") + t, "{" + t + "}x", "{" + t + ",}",
           "{" + t + "," + t + "}",                                                   // duplicate tensor
           R"({"__metadata__":null,)" + t + "}",                                      // null metadata
           R"({"__metadata__":{"a":"1","a":"2"}})",                                   // duplicate metadata key
           R"({"__metadata__":{"a":1}})",                                             // non-string value
           R"({"t\u0041":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",         // escape
           "{\"t\xc3\xa9\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",  // non-ASCII name
           R"({"t":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})",             // fraction
           R"({"t":{"dtype":"F32","shape":[1e1],"data_offsets":[0,8]}})",             // exponent
           R"({"t":{"dtype":"F32","shape":[02],"data_offsets":[0,8]}})",              // leading zero
           R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",              // negative
           R"({"t":{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,8]}})",  // > int64
           R"({"t":{"dtype":"X32","shape":[2],"data_offsets":[0,8]}})",               // unknown dtype
           R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}})",             // three offsets
           R"({"t":{"dtype":"F32","shape":[2]}})",                                    // missing field
           R"({"t":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}})",  // repeated field
           R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})",         // extra field
       };
  for (const std::string& s : deferred) {
    SCOPED_TRACE(s);
    EXPECT_FALSE(parse_header_fast(s).has_value());
  }
  // Inside the subset: whitespace anywhere JSON allows it, empty header, empty metadata, scalars.
  const auto a = parse_header_fast(" \n{ \"__metadata__\" : { } ,\t" + t + R"( , "s":{"shape":[],"dtype":"I64","data_offsets":[8,16]} }  )");
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(a->has_metadata);
  ASSERT_EQ(a->entries.size(), 2u);
  EXPECT_EQ(a->entries[0].name, "s");  // key order, as the JSON object iterates
  EXPECT_EQ(a->entries[1].shape, Shape{2});
  EXPECT_EQ(*a, parse_header_json(" \n{ \"__metadata__\" : { } ,\t" + t + R"( , "s":{"shape":[],"dtype":"I64","data_offsets":[8,16]} }  )", "x"));
  const auto e = parse_header_fast("{}");
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->entries.empty());
  EXPECT_FALSE(e->has_metadata);
}

TEST(SafetensorsHeader, MutatedHeadersNeverMakeTheReadersDisagree) {
  const std::string base = header_text(models_dir() / "gpt2" / "model" / "model.safetensors");
  const std::string alphabet = "0123456789{}[]\":, \n.-eE\\abtFI_\x80\x01";
  std::mt19937 rng(20261129);
  int answered = 0;
  for (int it = 0; it < 4000; ++it) {
    std::string s = base;
    const int edits = 1 + int(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      const size_t pos = rng() % s.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: s[pos] = c; break;
        case 1: s.insert(s.begin() + long(pos), c); break;
        default: s.erase(pos, 1); break;
      }
    }
    const auto fast = parse_header_fast(s);
    if (!fast) continue;
    ++answered;
    io::detail::ParsedHeader slow;
    ASSERT_NO_THROW(slow = parse_header_json(s, "mutated")) << s;
    ASSERT_EQ(*fast, slow) << s;
  }
  EXPECT_GT(answered, 100);  // the mutations that keep the text canonical (digits, spaces) were compared
}
