// Focused checks of single behaviours; expected values were taken from Python tokenizers 0.23.3.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "transformers/core/error.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"
#include "transformers/tokenizers/tokenizer.hpp"

using nlohmann::json;
using transformers::Encoding;
using transformers::Tokenizer;

namespace {

const std::string kFix = std::string(TRANSFORMERS_FIXTURES_DIR) + "/hf/tokenizers/";
using Offs = std::vector<transformers::Offsets>;

json split_tokenizer(const std::string& behavior) {
  json vocab = json::object();
  int i = 0;
  for (const char* w : {"[UNK]", "the", "final", "countdown", "-", "--", "the-", "final-", "-final", "-countdown"})
    vocab[w] = i++;
  return json{{"version", "1.0"},
              {"added_tokens", json::array()},
              {"normalizer", nullptr},
              {"pre_tokenizer", {{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}, {"invert", false}}},
              {"post_processor", nullptr},
              {"decoder", nullptr},
              {"model", {{"type", "WordLevel"}, {"vocab", vocab}, {"unk_token", "[UNK]"}}}};
}

TEST(SplitBehavior, AllFiveAsPython) {
  struct Case {
    const char* behavior;
    std::vector<std::string> tokens;
    Offs offsets;
  } cases[] = {
      {"Removed", {"the", "final", "countdown"}, {{0, 3}, {4, 9}, {11, 20}}},
      {"Isolated", {"the", "-", "final", "-", "-", "countdown"}, {{0, 3}, {3, 4}, {4, 9}, {9, 10}, {10, 11}, {11, 20}}},
      {"MergedWithPrevious", {"the-", "final-", "-", "countdown"}, {{0, 4}, {4, 10}, {10, 11}, {11, 20}}},
      {"MergedWithNext", {"the", "-final", "-", "-countdown"}, {{0, 3}, {3, 9}, {9, 10}, {10, 20}}},
      {"Contiguous", {"the", "-", "final", "--", "countdown"}, {{0, 3}, {3, 4}, {4, 9}, {9, 11}, {11, 20}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.behavior);
    auto tok = Tokenizer::from_str(split_tokenizer(c.behavior).dump());
    auto e = tok.encode("the-final--countdown");
    EXPECT_EQ(e.tokens, c.tokens);
    EXPECT_EQ(e.offsets, c.offsets);
  }
}

TEST(Truncation, StrideAndOverflowAsPython) {
  auto tok = Tokenizer::from_file(kFix + "bert_wordpiece/tokenizer.json");
  tok.enable_truncation({.max_length = 6, .stride = 1});
  auto e = tok.encode("The quick brown fox jumps over the lazy dog.");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 491, 59, 310, 487, 3}));
  std::vector<std::vector<int32_t>> over;
  for (const auto& o : e.overflowing) over.push_back(o.ids);
  EXPECT_EQ(over, (std::vector<std::vector<int32_t>>{{2, 487, 319, 44, 489, 3},
                                                     {2, 489, 320, 308, 48, 3},
                                                     {2, 48, 317, 325, 52, 3},
                                                     {2, 52, 553, 499, 57, 3},
                                                     {2, 57, 654, 491, 54, 3},
                                                     {2, 54, 323, 341, 334, 3},
                                                     {2, 334, 862, 315, 18, 3}}));
}

TEST(Padding, FixedLeftAlsoPadsOverflowing) {
  auto tok = Tokenizer::from_file(kFix + "bert_wordpiece/tokenizer.json");
  tok.enable_truncation({.max_length = 6, .stride = 1});
  tok.enable_padding({.length = 9, .direction = transformers::Direction::Left, .pad_id = 0, .pad_token = "[PAD]"});
  auto e = tok.encode("The quick brown fox jumps");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{0, 0, 0, 2, 491, 59, 310, 487, 3}));
  EXPECT_EQ(e.attention_mask, (std::vector<int32_t>{0, 0, 0, 1, 1, 1, 1, 1, 1}));
  ASSERT_EQ(e.overflowing.size(), 4u);
  EXPECT_EQ(e.overflowing[3].ids, (std::vector<int32_t>{0, 0, 0, 0, 2, 52, 553, 499, 3}));
}

TEST(Pair, BertTypeIdsOffsetsAndLongestFirst) {
  auto tok = Tokenizer::from_file(kFix + "bert_wordpiece/tokenizer.json");
  auto e = tok.encode_pair("Hello world", "The quick brown fox");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 50, 513, 662, 65, 476, 314, 318, 3, 491, 59, 310, 487, 319, 44, 489, 320,
                                         308, 48, 317, 325, 3}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(e.offsets[9], (transformers::Offsets{0, 3}));  // offsets of B count from B's start
  tok.enable_truncation({.max_length = 9});
  auto t = tok.encode_pair("Hello world", "The quick brown fox");
  EXPECT_EQ(t.ids, (std::vector<int32_t>{2, 50, 513, 662, 3, 491, 59, 310, 3}));
  EXPECT_EQ(t.type_ids, (std::vector<int32_t>{0, 0, 0, 0, 0, 1, 1, 1, 1}));
}

TEST(InvalidUtf8, ReplacedLikePythonDecodeReplace) {
  auto tok = Tokenizer::from_file(kFix + "bert_wordpiece/tokenizer.json");
  // b'\xffab\xe2\x82 caf\xc3\xa9 \xed\xa0\x80x'.decode('utf-8', 'replace') == '\ufffdab\ufffd caf\u00e9 \ufffd\ufffd\ufffdx'
  auto e = tok.encode(std::string("\xff" "ab\xe2\x82 caf\xc3\xa9 \xed\xa0\x80x"));
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 738, 45, 323, 327, 313, 66, 3}));
  EXPECT_EQ(e.offsets, (Offs{{0, 0}, {1, 3}, {5, 6}, {6, 7}, {7, 8}, {8, 9}, {13, 14}, {0, 0}}));
  auto same = tok.encode("\xEF\xBF\xBD" "ab\xEF\xBF\xBD caf\xc3\xa9 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx");
  EXPECT_EQ(same.ids, e.ids);
}

template <typename E>
std::string error_of(const std::string& text) {
  try {
    Tokenizer::from_str(text);
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "no error";
}

json base_bpe() {
  return json{{"version", "1.0"},
              {"added_tokens", json::array()},
              {"normalizer", nullptr},
              {"pre_tokenizer", nullptr},
              {"post_processor", nullptr},
              {"decoder", nullptr},
              {"model", {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}}}, {"merges", {"a b"}}}}};
}

TEST(MalformedJson, ErrorsNameTheField) {
  using transformers::FormatError;
  EXPECT_NE(error_of<FormatError>("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of<FormatError>(R"({"version":"1.0"})").find("model: missing field"), std::string::npos);
  json j = base_bpe();
  j["version"] = "2.0";
  EXPECT_NE(error_of<FormatError>(j.dump()).find("version"), std::string::npos);
  j = base_bpe();
  j["model"]["merges"] = {"a c"};
  EXPECT_NE(error_of<FormatError>(j.dump()).find("model.merges[0]: token 'c' is not in the vocab"), std::string::npos);
  j = base_bpe();
  j["model"]["merges"] = {"a b c"};
  EXPECT_NE(error_of<FormatError>(j.dump()).find("model.merges[0]"), std::string::npos);
  j = base_bpe();
  j["model"]["vocab"]["x"] = "seven";
  EXPECT_NE(error_of<FormatError>(j.dump()).find("model.vocab[\"x\"]"), std::string::npos);
  j = base_bpe();
  j["normalizer"] = {{"type", "Lowercasse"}};
  EXPECT_NE(error_of<FormatError>(j.dump()).find("normalizer.type"), std::string::npos);
  j = base_bpe();
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  EXPECT_NE(error_of<FormatError>(j.dump()).find("pre_tokenizer.pattern.Regex"), std::string::npos);
  j = base_bpe();
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "a"}}}, {"behavior", "Sideways"}};
  EXPECT_NE(error_of<FormatError>(j.dump()).find("pre_tokenizer.behavior"), std::string::npos);
  j = base_bpe();
  j["added_tokens"] = {{{"id", 5}}};
  EXPECT_NE(error_of<FormatError>(j.dump()).find("added_tokens[0].content"), std::string::npos);
  j = base_bpe();
  j["post_processor"] = {{"type", "TemplateProcessing"}, {"single", {{{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}}}},
                         {"pair", json::array()}, {"special_tokens", json::object()}};
  EXPECT_NE(error_of<FormatError>(j.dump()).find("post_processor.special_tokens"), std::string::npos);
  j = base_bpe();
  j["decoder"] = {{"type", "Sequence"}, {"decoders", {{{"type", "Strip"}, {"content", "ab"}, {"start", 1}, {"stop", 0}}}}};
  EXPECT_NE(error_of<FormatError>(j.dump()).find("decoder.decoders[0].content"), std::string::npos);
  j = base_bpe();
  j["model"] = {{"type", "Unigram"}, {"unk_id", 9}, {"vocab", json::array({json::array({"a", -1.0}), json::array({"b", -2.0})})}};
  EXPECT_NE(error_of<FormatError>(j.dump()).find("model.unk_id"), std::string::npos);
  EXPECT_THROW(Tokenizer::from_file("/nonexistent/tokenizer.json"), transformers::FileNotFoundError);
}

TEST(AddedTokens, LeftmostLongestAndFlags) {
  json j = base_bpe();
  j["pre_tokenizer"] = {{"type", "WhitespaceSplit"}};
  j["added_tokens"] = {
      {{"id", 10}, {"content", "<a>"}, {"single_word", false}, {"lstrip", false}, {"rstrip", false}, {"normalized", false}, {"special", true}},
      {{"id", 11}, {"content", "<a><b>"}, {"single_word", false}, {"lstrip", false}, {"rstrip", false}, {"normalized", false}, {"special", true}},
      {{"id", 12}, {"content", "w"}, {"single_word", true}, {"lstrip", false}, {"rstrip", false}, {"normalized", false}, {"special", false}},
      {{"id", 13}, {"content", "<m>"}, {"single_word", false}, {"lstrip", true}, {"rstrip", true}, {"normalized", false}, {"special", true}},
  };
  // The stored ids 10..13 do not follow the vocab (size 3): Hugging Face re-numbers them 3..6.
  auto tok = Tokenizer::from_str(j.dump());
  EXPECT_EQ(tok.token_to_id("<a>"), 3);
  auto e = tok.encode("<a><b>ab");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{4, 2}));
  e = tok.encode("ab w aw wa w");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 5, 0, 0, 5}));  // in "aw"/"wa" the w is not a single word
  e = tok.encode("ab  <m>  ab");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{2, 6, 2}));
  EXPECT_EQ(e.offsets, (Offs{{0, 2}, {2, 9}, {9, 11}}));
  EXPECT_EQ(e.tokens[1], "  <m>  ");
  tok.set_encode_special_tokens(true);
  e = tok.encode("<a>");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{0}));  // '<' and '>' are not in the vocab: dropped by BPE without unk
}

TEST(Decode, SkipSpecialAndNoDecoder) {
  json j = base_bpe();
  j["added_tokens"] = {{{"id", 3}, {"content", "<s>"}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                        {"normalized", false}, {"special", true}}};
  auto tok = Tokenizer::from_str(j.dump());
  EXPECT_EQ(tok.decode({3, 2, 0, 99}, {.skip_special_tokens = false}), "<s> ab a");  // unknown id 99 dropped
  EXPECT_EQ(tok.decode({3, 2, 0}, {.skip_special_tokens = true}), "ab a");
  EXPECT_EQ(tok.get_vocab_size(), 4u);
  EXPECT_EQ(tok.get_vocab_size(false), 3u);
  EXPECT_EQ(tok.token_to_id("<s>"), 3);
  EXPECT_EQ(tok.id_to_token(2), "ab");
}

TEST(AutoTokenizer, SpecialTokensFromConfig) {
  auto tok = transformers::AutoTokenizer::from_pretrained(kFix + "llama3_regex_bpe");
  EXPECT_EQ(tok.bos_token, "<|begin_of_text|>");
  EXPECT_EQ(tok.pad_token_id(), 1);
  EXPECT_EQ(tok.eos_token_id(), 1);
  EXPECT_EQ(tok.model_max_length, SIZE_MAX);
  auto bert = transformers::AutoTokenizer::from_pretrained(kFix + "bert_wordpiece");
  EXPECT_EQ(bert.cls_token_id(), 2);
  EXPECT_EQ(bert.mask_token_id(), 4);
  auto b = bert({std::pair<std::string, std::string>{"Hello world", "The quick brown fox"}});
  EXPECT_EQ(b.token_type_ids[0].back(), 1);
  EXPECT_EQ(transformers::clean_up_tokenization("a , b . don 't I 'm"), "a, b. don 't I'm");
  EXPECT_THROW(transformers::AutoTokenizer::from_pretrained("/nonexistent"), transformers::FileNotFoundError);
}

}  // namespace

namespace {

TEST(Robustness, RandomBytesAndIdsNeverCrash) {
  uint64_t state = 12345;
  auto rnd = [&]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (const char* name : {"gpt2_bpe", "bert_wordpiece", "unigram_metaspace", "llama2_bytefallback", "llama3_regex_bpe"}) {
    SCOPED_TRACE(name);
    auto tok = Tokenizer::from_file(kFix + std::string(name) + "/tokenizer.json");
    for (int i = 0; i < 300; ++i) {
      std::string s(rnd() % 64, '\0');
      for (auto& c : s) c = static_cast<char>(rnd() % 4 == 0 ? rnd() % 256 : 32 + rnd() % 96);
      Encoding e;
      ASSERT_NO_THROW(e = tok.encode(s));
      for (const auto& [a, b] : e.offsets) EXPECT_LE(a, b);
      std::vector<int32_t> ids;
      for (int k = 0; k < 20; ++k) ids.push_back(static_cast<int32_t>(rnd() % (tok.get_vocab_size() + 10)) - 3);
      ASSERT_NO_THROW(tok.decode(ids, {.skip_special_tokens = false}));
    }
  }
}

}  // namespace

namespace {

// LlamaTokenizerFast rebuilds its template from add_bos_token / add_eos_token; expected values from
// transformers 4.51.3.
TEST(AutoTokenizer, LlamaAddBosEosAndLeftPadding) {
  auto dir = std::filesystem::temp_directory_path() / ("tok_llama_cfg_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kFix + "llama2_bytefallback/tokenizer.json", dir / "tokenizer.json",
                             std::filesystem::copy_options::overwrite_existing);
  {
    std::ofstream f(dir / "tokenizer_config.json");
    f << R"({"tokenizer_class": "LlamaTokenizerFast", "add_bos_token": true, "add_eos_token": true,
             "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<unk>",
             "legacy": true, "clean_up_tokenization_spaces": true, "padding_side": "left"})";
  }
  auto tok = transformers::AutoTokenizer::from_pretrained(dir);
  auto b = tok(std::vector<std::string>{"Hello world", "Hi"}, {.padding = transformers::Padding::Longest});
  EXPECT_EQ(b.input_ids, (std::vector<std::vector<int64_t>>{{1, 536, 300, 779, 695, 536, 347, 641, 336, 328, 2},
                                                            {0, 0, 0, 0, 0, 0, 1, 536, 300, 333, 2}}));
  EXPECT_EQ(b.attention_mask[1], (std::vector<int64_t>{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1}));
  auto p = tok(std::vector<std::pair<std::string, std::string>>{{"Hello", "world"}});
  EXPECT_EQ(p.input_ids[0], (std::vector<int64_t>{1, 536, 300, 779, 695, 2, 1, 536, 347, 641, 336, 328, 2}));
  EXPECT_EQ(tok.decode(b.input_ids[0]), "<s> Hello world</s>");
  EXPECT_EQ(tok.decode(tok.encode("Hi , there . ok")), "<s> Hi, there. ok</s>");
  std::filesystem::remove_all(dir);
}

// tokenizer_config.json's model_input_names (ModernBERT's checkpoints give input_ids and
// attention_mask only) is kept as 4.51's __init__ takes it; a non-list is a FormatError naming it.
TEST(TokenizerConfig, ModelInputNamesAreReadAndCheckedTyped) {
  auto dir = std::filesystem::temp_directory_path() / ("tok_input_names_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kFix + "gpt2_bpe/tokenizer.json", dir / "tokenizer.json",
                             std::filesystem::copy_options::overwrite_existing);
  auto write_config = [&](const std::string& text) { std::ofstream(dir / "tokenizer_config.json") << text; };
  write_config(R"({"tokenizer_class": "PreTrainedTokenizerFast", "model_input_names": ["input_ids", "attention_mask"]})");
  EXPECT_EQ(transformers::AutoTokenizer::from_pretrained(dir).model_input_names,
            (std::vector<std::string>{"input_ids", "attention_mask"}));
  write_config(R"({"tokenizer_class": "PreTrainedTokenizerFast"})");
  EXPECT_TRUE(transformers::AutoTokenizer::from_pretrained(dir).model_input_names.empty());
  int refused = 0;
  for (const char* bad : {R"({"model_input_names": "input_ids"})", R"({"model_input_names": ["input_ids", 3]})"}) {
    write_config(bad);
    try {
      transformers::AutoTokenizer::from_pretrained(dir);
      ADD_FAILURE() << bad;
    } catch (const transformers::FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("model_input_names"), std::string::npos) << e.what();
      ++refused;
    }
  }
  EXPECT_EQ(refused, 2);
  std::filesystem::remove_all(dir);
}

}  // namespace
