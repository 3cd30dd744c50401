// The tokenizer.* metadata our GGUF writer adds (add_gguf_tokenizer) against llama.cpp's converter
// and transformers 4.51.3 (tests/oracle/make_gguf_tokenizer_writer.py): the bytes equal gguf-py's
// file with llama.cpp's keys, and what 4.51 builds from our keys is what our reader builds.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include <unistd.h>

#include "transformers/core/error.hpp"
#include "transformers/tokenizers/gguf_tokenizer.hpp"
#include "transformers/tokenizers/gguf_tokenizer_write.hpp"

using namespace transformers;
namespace fs = std::filesystem;

namespace {
fs::path dir() { return fs::path(TRANSFORMERS_TEST_DATA_DIR) / "tokenizers" / "gguf_write"; }
nlohmann::json expected() {
  std::ifstream in(dir() / "expected.json");
  return nlohmann::json::parse(in);
}
std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
std::vector<int64_t> ids64(const Encoding& e) { return std::vector<int64_t>(e.ids.begin(), e.ids.end()); }

// A scratch checkpoint folder with the given tokenizer.json text (and nothing else).
fs::path scratch(const std::string& name, const std::string& tokenizer_json) {
  const fs::path d = fs::temp_directory_path() / ("gguf_tok_write_" + name + "_" + std::to_string(::getpid()));
  fs::create_directories(d);
  std::ofstream(d / "tokenizer.json") << tokenizer_json;
  return d;
}
}  // namespace

TEST(GGUFTokenizerWrite, MetadataBytesEqualLlamaCppConverterAndReadBackAs451) {
  const auto e = expected();
  io::GGUFWriter w;
  w.add_string("general.architecture", "llama");
  const GGUFTokenizerWritten r = add_gguf_tokenizer(w, dir(), e["vocab_size"].get<int64_t>());
  ASSERT_TRUE(r.written) << r.reason;
  EXPECT_EQ(r.chkhsh, e["chkhsh"].get<std::string>());  // our tokenizer's hash of llama.cpp's check text
  EXPECT_EQ(r.pre, e["pre"].get<std::string>());
  EXPECT_FALSE(r.pre_known);
  const std::string bytes = w.bytes();
  EXPECT_TRUE(bytes == file_bytes(dir() / "tokenizer_only.gguf")) << "differs from gguf-py's file";

  // what 4.51's AutoTokenizer(gguf_file=) builds from our full converted file, our reader builds
  // from these keys
  const auto reader = io::GGUFReader::from_bytes(bytes, "ours.gguf");
  EXPECT_EQ(reader->get_strings("tokenizer.ggml.tokens")[1103], "[PAD1103]");
  const GGUFTokenizer t = gguf_tokenizer(*reader);
  EXPECT_EQ(t.bos_token.value_or(""), e["bos_token"].get<std::string>());
  EXPECT_EQ(t.eos_token.value_or(""), e["eos_token"].get<std::string>());
  EXPECT_EQ(t.chat_template.value_or(""), e["chat_template"].get<std::string>());
  int lines = 0;
  for (const auto& c : e["cases"]) {
    const std::string text = c["text"];
    const Encoding with = t.tokenizer.encode(text, {.add_special_tokens = true});
    EXPECT_EQ(ids64(with), c["ids"].get<std::vector<int64_t>>()) << text;
    EXPECT_EQ(ids64(t.tokenizer.encode(text, {.add_special_tokens = false})),
              c["ids_no_special"].get<std::vector<int64_t>>())
        << text;
    EXPECT_EQ(t.tokenizer.decode(with.ids, {.skip_special_tokens = false}), c["decode"].get<std::string>());
    EXPECT_EQ(t.tokenizer.decode(with.ids, {.skip_special_tokens = true}), c["decode_skip_special"].get<std::string>());
    ++lines;
  }
  EXPECT_EQ(lines, 9);
}

// A byte-fallback BPE (the fixture llama2_bytefallback) as llama.cpp's _set_vocab_llama_hf writes
// it, with the BPE's merge order as scores (tests/oracle/make_gguf_tokenizer_spm.py): the bytes
// equal gguf-py's file of the same rules and its SpecialVocab; 4.51 loading our converted file
// (AutoTokenizer / AutoModelForCausalLM with gguf_file=) gave the original tokenizer's ids and
// decodes on every corpus string and the folder model's logits (the committed report).
TEST(GGUFTokenizerWrite, ByteFallbackBpeWrittenAsLlamaVocabularyThat451ReadsBack) {
  const fs::path spm = fs::path(TRANSFORMERS_TEST_DATA_DIR) / "tokenizers" / "gguf_write_spm";
  std::ifstream in(spm / "expected.json");
  const auto e = nlohmann::json::parse(in);
  io::GGUFWriter w;
  w.add_string("general.architecture", "llama");
  const GGUFTokenizerWritten r =
      add_gguf_tokenizer(w, TRANSFORMERS_FIXTURES_DIR "/hf/tokenizers/llama2_bytefallback", e["vocab_size"].get<int64_t>());
  ASSERT_TRUE(r.written) << r.reason;
  EXPECT_EQ(r.pre, "default");
  const std::string bytes = w.bytes();
  EXPECT_TRUE(bytes == file_bytes(spm / "tokenizer_only.gguf")) << "differs from gguf-py's file";
  const auto reader = io::GGUFReader::from_bytes(bytes, "ours.gguf");
  EXPECT_EQ(reader->get_string("tokenizer.ggml.model"), "llama");
  EXPECT_EQ(reader->get_strings("tokenizer.ggml.tokens").size(), 904u);
  EXPECT_EQ(reader->get_ints("tokenizer.ggml.token_type")[3], 6);  // <0x00>: BYTE
  EXPECT_TRUE(reader->get_bool("tokenizer.ggml.add_bos_token"));
  // the oracle's report: 4.51 read our file back as the original tokenizer on the whole corpus
  EXPECT_EQ(e["cases"].get<int>(), 42);
  EXPECT_EQ(e["equal_451_gguf_vs_original"].get<int>(), e["cases"].get<int>());
  EXPECT_LE(e["max_abs_logit_diff_451_gguf_vs_folder"].get<double>(), 1e-5);
  // a vocabulary larger than vocab_size is refused as for byte-level BPE
  io::GGUFWriter small;
  EXPECT_THROW(add_gguf_tokenizer(small, TRANSFORMERS_FIXTURES_DIR "/hf/tokenizers/llama2_bytefallback", 899), ValueError);
}

TEST(GGUFTokenizerWrite, OtherKindsAddNothingAndBadIdsAreTypedErrors) {
  const std::string fix = TRANSFORMERS_FIXTURES_DIR "/hf/tokenizers/";
  for (const std::string kind : {"bert_wordpiece", "unigram_metaspace"}) {
    io::GGUFWriter w;
    const auto r = add_gguf_tokenizer(w, fix + kind, 100000);
    EXPECT_FALSE(r.written) << kind;
    EXPECT_FALSE(r.reason.empty()) << kind;
    EXPECT_EQ(w.bytes(), io::GGUFWriter().bytes()) << kind;  // no key added
  }
  io::GGUFWriter w;
  EXPECT_FALSE(add_gguf_tokenizer(w, fs::temp_directory_path() / "no_such_checkpoint_folder", 10).written);
  // the vocabulary does not fit vocab_size (llama.cpp's converter asserts it)
  EXPECT_THROW(add_gguf_tokenizer(w, dir(), 1000), ValueError);
  const std::string bpe = R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": []},
                              "pre_tokenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}, )";
  const fs::path neg = scratch("neg", bpe + R"("added_tokens": [{"id": -3, "content": "x", "special": true}]})");
  EXPECT_THROW(add_gguf_tokenizer(w, neg, 10), Error);
  const fs::path bad = scratch("bad", bpe + R"("added_tokens": [], "post_processor": {"type": "RobertaProcessing",
                              "cls": 7}})");
  std::ofstream(bad / "tokenizer_config.json") << R"({"bos_token": "a"})";
  try {
    add_gguf_tokenizer(w, bad, 10);
    ADD_FAILURE() << "no error";
  } catch (const FormatError& err) {
    EXPECT_NE(std::string(err.what()).find(bad.string()), std::string::npos) << err.what();
  }
  fs::remove_all(neg);
  fs::remove_all(bad);
}

TEST(GGUFTokenizerWrite, CopyFromSourceGgufKeepsEveryKeyAndType) {
  // a GGUF converted from a GGUF carries the source's tokenizer keys: gguf-py's file comes back byte-equal
  io::GGUFReader src(dir() / "tokenizer_only.gguf");
  io::GGUFWriter w;
  w.add_string("general.architecture", "llama");
  const GGUFTokenizerWritten r = copy_gguf_tokenizer(w, src);
  EXPECT_TRUE(r.written);
  EXPECT_EQ(r.pre, "default");
  EXPECT_TRUE(w.bytes() == file_bytes(dir() / "tokenizer_only.gguf"));
  // a source without tokenizer keys adds none
  io::GGUFReader plain(fs::path(TRANSFORMERS_TEST_DATA_DIR) / "modeling" / "gguf" / "tiny_llama.gguf");
  io::GGUFWriter none;
  EXPECT_FALSE(copy_gguf_tokenizer(none, plain).written);
  EXPECT_EQ(none.bytes(), io::GGUFWriter().bytes());
}
