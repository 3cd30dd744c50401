// The tokenizer built from GGUF metadata against the one transformers 4.51.3 builds from the same
// file (tests/oracle/make_gguf_tokenizer.py): the serialised tokenizer.json, ids of every corpus
// line with and without special tokens, decodes, special tokens and the chat template.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "transformers/tokenizers/auto_tokenizer.hpp"
#include "transformers/tokenizers/gguf_tokenizer.hpp"

using namespace transformers;
namespace fs = std::filesystem;

namespace {
fs::path dir() { return fs::path(TRANSFORMERS_TEST_DATA_DIR) / "tokenizers" / "gguf"; }
nlohmann::json expected() {
  std::ifstream in(dir() / "expected.json");
  return nlohmann::json::parse(in);
}
std::vector<int64_t> ids64(const Encoding& e) { return std::vector<int64_t>(e.ids.begin(), e.ids.end()); }
}  // namespace

TEST(GGUFTokenizer, EqualsTransformers451Conversion) {
  const auto all = expected();
  int files = 0, lines = 0;
  for (const std::string stem : {"llama3_bpe", "llama3_bpe_default_prefix"}) {
    const auto& e = all[stem];
    io::GGUFReader r(dir() / (stem + ".gguf"));
    const GGUFTokenizer t = gguf_tokenizer(r);
    // the whole backend tokenizer.json, key for key
    EXPECT_EQ(nlohmann::json::parse(t.tokenizer_json.dump()), e["tokenizer_json"]) << stem;
    EXPECT_EQ(t.bos_token.value_or("<none>"), e["bos_token"].get<std::string>());
    EXPECT_EQ(t.eos_token.value_or("<none>"), e["eos_token"].get<std::string>());
    EXPECT_EQ(t.unk_token.value_or("<none>"), e["unk_token"].get<std::string>());
    EXPECT_TRUE(e["pad_token"].is_null());
    EXPECT_FALSE(t.pad_token.has_value());
    EXPECT_EQ(t.chat_template.value_or(""), e["chat_template"].get<std::string>());
    for (const auto& row : e["corpus"]) {
      const std::string text = row["text"];
      const Encoding with = t.tokenizer.encode(text, {.add_special_tokens = true});
      EXPECT_EQ(ids64(with), row["ids"].get<std::vector<int64_t>>()) << text;
      EXPECT_EQ(ids64(t.tokenizer.encode(text, {.add_special_tokens = false})),
                row["ids_no_special"].get<std::vector<int64_t>>())
          << text;
      EXPECT_EQ(t.tokenizer.decode(with.ids, {.skip_special_tokens = false}), row["backend_decoded"].get<std::string>());
      EXPECT_EQ(t.tokenizer.decode(with.ids, {.skip_special_tokens = true}), row["backend_decoded_skip"].get<std::string>());
      ++lines;
    }
    ++files;
  }
  EXPECT_EQ(files, 2);
  EXPECT_EQ(lines, 14);
}

// AutoTokenizer.from_pretrained(folder, gguf_file=...) (what `serve` of a .gguf uses): the same
// encodings, special tokens and chat template as 4.51's, by folder + name and by the file itself.
TEST(GGUFTokenizer, AutoTokenizerWithGgufFile) {
  const auto e = expected()["llama3_bpe"];
  int rows = 0;
  for (const auto& [path, name] : std::vector<std::pair<std::string, std::string>>{
           {dir().string(), "llama3_bpe.gguf"}, {(dir() / "llama3_bpe.gguf").string(), "llama3_bpe.gguf"}}) {
    const PreTrainedTokenizerFast t = AutoTokenizer::from_pretrained(path, {.gguf_file = name});
    EXPECT_EQ(t.eos_token.value_or("<none>"), e["eos_token"].get<std::string>());
    EXPECT_EQ(t.bos_token.value_or("<none>"), e["bos_token"].get<std::string>());
    EXPECT_EQ(t.chat_template.value_or(""), e["chat_template"].get<std::string>());
    for (const auto& row : e["corpus"]) {
      EXPECT_EQ(t.encode(row["text"].get<std::string>()), row["ids"].get<std::vector<int64_t>>());
      ++rows;
    }
  }
  EXPECT_EQ(rows, 14);
  EXPECT_THROW(AutoTokenizer::from_pretrained(dir().string(), {.gguf_file = "missing.gguf"}), Error);
}

TEST(GGUFTokenizer, OtherTokenizerKindsAreRefusedByName) {
  // the tensor-only file of the GGUF reader tests is llama with no tokenizer.ggml.model: 4.51 reads
  // that as an SPM ("llama") vocabulary, not built here
  io::GGUFReader r(fs::path(TRANSFORMERS_TEST_DATA_DIR) / "io" / "gguf" / "blocks.gguf");
  try {
    gguf_tokenizer(r);
    ADD_FAILURE();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.ggml.model 'llama'"), std::string::npos) << e.what();
  }
}
