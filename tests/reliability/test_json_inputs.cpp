// The JSON reading path every reader shares (io/json_file.hpp), from outside: each kind of JSON file
// the library reads (config.json, generation_config.json, a safetensors header's __metadata__, shard
// indexes, tokenizer.json, tokenizer_config.json, special_tokens_map.json) must refuse a value
// nested 100k deep, a FIFO or device in its place, and a file over its size limit, with a typed
// error naming the file; objects of 100k keys must load in linear time; and text quoted from the
// input into a message must be escaped (core/quote.hpp).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fifo_releaser.hpp"
#include "io/json_text.hpp"
#include "loaders.hpp"
#include "reliability_util.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/io/json_file.hpp"

namespace reliability {
namespace {

using namespace transformers;

// Runs f; it must throw E whose message contains every one of `needles`. Returns the message.
template <typename E>
std::string expect_refusal(const std::string& what, const std::function<void()>& f,
                           const std::vector<std::string>& needles) {
  try {
    f();
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << what << ": '" << n << "' not in: " << msg;
    return msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": expected " << typeid(E).name() << ", got " << typeid(e).name() << ": " << e.what();
    return "";
  }
  ADD_FAILURE() << what << ": accepted";
  return "";
}

std::string nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// A safetensors file with no tensors whose header is `header`.
std::string safetensors_with_header(const std::string& header) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xff);
  return out + header;
}

const fs::path& gpt2_tokenizer() {
  static const fs::path p = tokenizers() / "gpt2_bpe" / "tokenizer.json";
  return p;
}

// Every reader with the file it reads at `file` holding `text`, run to the end.
struct Reader {
  std::string name;
  std::string file;  // the file's name in the folder
  std::function<std::string(const std::string& deep_value)> document;
  std::function<void(const fs::path& dir)> load;
};

std::vector<Reader> readers() {
  return {
      {"config.json", "config.json", [](const std::string& v) { return R"({"model_type": "gpt2", "a": )" + v + "}"; },
       [](const fs::path& d) { load_config(d); }},
      {"generation_config.json", "generation_config.json",
       [](const std::string& v) { return R"({"max_length": 5, "a": )" + v + "}"; },
       [](const fs::path& d) { load_generation_config(d); }},
      {"safetensors __metadata__", "model.safetensors",
       [](const std::string& v) { return safetensors_with_header(R"({"__metadata__": {"a": )" + v + "}}"); },
       [](const fs::path& d) { load_checkpoint_file(d / "model.safetensors"); }},
      {"shard index", "model.safetensors.index.json",
       [](const std::string& v) { return R"({"metadata": {"a": )" + v + R"(}, "weight_map": {}})"; },
       [](const fs::path& d) { (void)io::read_shard_index(d / "model.safetensors.index.json"); }},
      {"tokenizer.json", "tokenizer.json", [](const std::string& v) { return R"({"version": "1.0", "a": )" + v + "}"; },
       [](const fs::path& d) { (void)Tokenizer::from_file(d / "tokenizer.json"); }},
      {"tokenizer_config.json", "tokenizer_config.json", [](const std::string& v) { return R"({"a": )" + v + "}"; },
       [](const fs::path& d) {
         fs::copy_file(gpt2_tokenizer(), d / "tokenizer.json", fs::copy_options::overwrite_existing);
         (void)AutoTokenizer::from_pretrained(d);
       }},
      {"special_tokens_map.json", "special_tokens_map.json", [](const std::string& v) { return R"({"a": )" + v + "}"; },
       [](const fs::path& d) {
         fs::copy_file(gpt2_tokenizer(), d / "tokenizer.json", fs::copy_options::overwrite_existing);
         (void)AutoTokenizer::from_pretrained(d);
       }},
  };
}

TEST(JsonInputs, DeepNestingIsRefusedByEveryReaderNamingTheFile) {
  // A value nested 100k deep used to be accepted and then overflowed the stack wherever it was
  // printed or walked (inspect --json, save_pretrained, error messages).
  const std::string deep = nested(100000);
  int n = 0;
  for (const auto& r : readers()) {
    TempDir d;
    write_file(d.path / r.file, r.document(deep));
    expect_refusal<FormatError>(r.name, [&] { r.load(d.path); }, {(d.path / r.file).string(), "deeper than 512"});
    ++n;
  }
  EXPECT_EQ(n, 7);
}

TEST(JsonInputs, DepthLimitIsExactly512) {
  EXPECT_NO_THROW(io::parse_json(nested(io::kJsonMaxDepth), "x.json"));
  EXPECT_NO_THROW(io::parse_ordered_json(nested(io::kJsonMaxDepth), "x.json"));
  expect_refusal<FormatError>("513 deep", [] { io::parse_json(nested(io::kJsonMaxDepth + 1), "x.json"); },
                              {"'x.json'", "deeper than 512"});
}

TEST(JsonInputs, FifoInPlaceOfAFileIsRefusedWithoutBlocking) {
  int n = 0;
  for (const auto& r : readers()) {
    TempDir d;
    const fs::path f = d.path / r.file;
    ASSERT_EQ(::mkfifo(f.c_str(), 0600), 0);
    const auto t0 = Clock::now();
    {
      FifoReleaser release(f, std::chrono::milliseconds(3000));
      // config.json and generation_config.json are resolved first, which skips what is no regular
      // file ("does not appear to have a file named ..."); the others name the FIFO.
      expect_refusal<FileNotFoundError>(r.name + " as a FIFO", [&] { r.load(d.path); }, {r.file});
    }
    EXPECT_LT(seconds_since(t0), 2.5) << r.name << ": blocked on the FIFO";
    ++n;
  }
  EXPECT_EQ(n, 7);
}

TEST(JsonInputs, DevicesAndFoldersAreRefused) {
  TempDir d;
  // A symlink to /dev/zero used to be read without end.
  fs::create_symlink("/dev/zero", d.path / "tokenizer.json");
  expect_refusal<FileNotFoundError>("tokenizer.json -> /dev/zero", [&] { (void)Tokenizer::from_file(d.path / "tokenizer.json"); },
                                    {"tokenizer.json", "character device"});
  fs::create_directory(d.path / "config.json");
  expect_refusal<FileNotFoundError>("config.json folder",
                                    [&] { PretrainedConfig::from_json_file((d.path / "config.json").string()); },
                                    {"config.json", "folder"});
  fs::create_symlink("/dev/null", d.path / "model.safetensors");
  expect_refusal<FileNotFoundError>("checkpoint -> /dev/null", [&] { load_checkpoint_file(d.path / "model.safetensors"); },
                                    {"model.safetensors", "regular file"});
}

TEST(JsonInputs, FilesOverTheirLimitAreRefusedBeforeReading) {
  TempDir d;
  // Sparse files: no disk space, but a reader that reads first would allocate the whole size.
  auto sparse = [&](const std::string& name, size_t size) {
    const fs::path p = d.path / name;
    write_file(p, "{");
    fs::resize_file(p, size);
    return p;
  };
  const auto t0 = Clock::now();
  const fs::path cfg = sparse("config.json", io::kConfigJsonMaxBytes + 1);
  expect_refusal<FormatError>("config.json over the limit", [&] { load_config(d.path); }, {cfg.string(), "64 MiB"});
  const fs::path idx = sparse("model.safetensors.index.json", io::kShardIndexMaxBytes + 1);
  expect_refusal<FormatError>("index over the limit", [&] { (void)io::read_shard_index(idx); }, {idx.string(), "limit"});
  const fs::path tok = sparse("tokenizer.json", io::kTokenizerJsonMaxBytes + 1);
  expect_refusal<FormatError>("tokenizer.json over the limit", [&] { (void)Tokenizer::from_file(tok); },
                              {tok.string(), "512 MiB"});
  EXPECT_LT(seconds_since(t0), 2.0) << "the files were read before being refused";
}

// A config.json / index with 100k keys took 39 s / 18.5 s (ordered_json's insertion searches the
// keys it holds); a linear parse takes well under a second.
TEST(JsonInputs, ObjectsWith100kKeysLoadInLinearTime) {
  TempDir d;
  std::string cfg = R"({"model_type": "gpt2")";
  std::string idx = R"({"metadata": {"total_size": 0}, "weight_map": {)";
  for (int i = 0; i < 100000; ++i) {
    cfg += ", \"key_" + std::to_string(i) + "\": " + std::to_string(i);
    idx += (i ? ", \"w." : "\"w.") + std::to_string(i) + "\": \"model.safetensors\"";
  }
  write_file(d.path / "config.json", cfg + "}");
  write_file(d.path / "model.safetensors.index.json", idx + "}}");
  auto t0 = Clock::now();
  auto c = PretrainedConfig::from_pretrained(d.path.string());
  const std::string saved = c->to_json_string();
  const double config_s = seconds_since(t0);
  EXPECT_EQ(c->get<int64_t>("key_99999"), 99999);
  EXPECT_NE(saved.find("\"key_99999\": 99999"), std::string::npos);
  t0 = Clock::now();
  const auto index = io::read_shard_index(d.path / "model.safetensors.index.json");
  const double index_s = seconds_since(t0);
  ASSERT_EQ(index.weight_map.size(), 100000u);
  EXPECT_EQ(index.weight_map[99999].first, "w.99999");  // file order kept
  // Generous bounds (loaded machine, sanitizer builds); the quadratic build took 20-40 s here.
  EXPECT_LT(config_s, 8.0);
  EXPECT_LT(index_s, 8.0);
  std::printf("[reliability] 100k-key config.json loaded and serialized in %.2f s, 100k-entry index in %.2f s\n",
              config_s, index_s);
}

TEST(JsonInputs, NumLabels100kBuildsId2labelInLinearTime) {
  TempDir d;
  write_file(d.path / "config.json", R"({"model_type": "bert", "num_labels": 100000})");
  const auto t0 = Clock::now();
  auto c = PretrainedConfig::from_pretrained(d.path.string());
  EXPECT_EQ(c->num_labels(), 100000);
  EXPECT_EQ(c->id2label().at(99999), "LABEL_99999");
  EXPECT_LT(seconds_since(t0), 8.0);
}

TEST(JsonInputs, DuplicateKeysKeepTheLastValueAtTheFirstPosition) {
  // As Python's json module: {"b": 1, "a": 2, "b": 3} -> {"b": 3, "a": 2}.
  EXPECT_EQ(io::parse_ordered_json(R"({"b": 1, "a": 2, "b": 3})", "x").dump(), R"({"b":3,"a":2})");
  EXPECT_EQ(io::parse_json(R"({"b": 1, "a": 2, "b": 3})", "x").dump(), R"({"a":2,"b":3})");
  expect_refusal<FormatError>("duplicate refused", [] {
    io::parse_json(R"({"a": {"x": 1, "x": 2}})", "h", {.reject_duplicate_keys = true});
  }, {"duplicate key 'x'"});
}

bool printable_utf8(const std::string& s) {
  if (!io::detail::is_valid_utf8(s)) return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

TEST(JsonInputs, ParseErrorsQuoteTheInputEscaped) {
  // nlohmann's "last read: '...'" carried the raw bytes: invalid UTF-8, ESC sequences, newlines.
  TempDir d;
  write_file(d.path / "config.json", "{\"a\": \"x\nerror: forged\x1b[31m\xff\"}");
  const std::string msg = expect_refusal<FormatError>("control bytes", [&] { load_config(d.path); },
                                                      {"config.json", "not valid JSON", "line 2"});
  EXPECT_TRUE(printable_utf8(msg)) << msg;
  EXPECT_EQ(msg.find("[json.exception"), std::string::npos) << msg;
}

TEST(JsonInputs, QuotingEscapesAndShortens) {
  EXPECT_EQ(quote_input("a\nb"), "'a\\nb'");
  EXPECT_EQ(escape_input("\x1b[2J\\"), "\\x1b[2J\\\\");
  EXPECT_EQ(escape_input("\xff\xc3"), "\\xff\\xc3");
  EXPECT_EQ(escape_input("naïve 東京"), "naïve 東京");
  EXPECT_EQ(escape_input("\xc2\x85\xe2\x80\xae"), "\\u{0085}\\u{202e}");  // NEL, right-to-left override
  EXPECT_EQ(escape_input("\xc0\xaf"), "\\xc0\\xaf");                       // overlong '/'
  const std::string big(60000, 'x');
  const std::string q = escape_input(big);
  EXPECT_LE(q.size(), kQuotedInputMaxBytes + 40);
  EXPECT_NE(q.find("(60000 bytes in all)"), std::string::npos);
  // Cut at a character boundary: never half of a multi-byte character.
  std::string wide;
  for (int i = 0; i < 200; ++i) wide += "東";
  EXPECT_TRUE(printable_utf8(escape_input(wide)));
  // one_line keeps backslashes (messages hold already-escaped text) but nothing else unsafe.
  EXPECT_EQ(one_line("a\\nb\nerror: c\r\x07"), "a\\nb\\nerror: c\\r\\x07");
  EXPECT_LE(one_line(std::string(100000, 'y')).size(), kErrorLineMaxBytes + 40);
}

}  // namespace
}  // namespace reliability
