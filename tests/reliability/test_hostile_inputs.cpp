// Hand-made hostile inputs across the layers a user's files reach: configs with wrong types and
// missing fields, indexes escaping their folder or naming missing shards, tokenizers of unknown
// types, and files asking for absurd sizes. Each must be refused with a typed transformers::Error
// (the specific type is checked where the contract names one).
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "loaders.hpp"
#include "reliability_util.hpp"

namespace reliability {
namespace {

using nlohmann::json;
using namespace transformers;

// Runs f; passes when it throws E (or a subclass), fails on anything else, naming `what`.
template <typename E, typename F>
void expect_typed(const std::string& what, F&& f) {
  try {
    f();
    ADD_FAILURE() << what << ": accepted, expected " << typeid(E).name();
  } catch (const E&) {
  } catch (const transformers::Error& e) {
    ADD_FAILURE() << what << ": threw another transformers::Error than " << typeid(E).name() << " (" << typeid(e).name()
                  << "): " << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": untyped " << typeid(e).name() << ": " << e.what();
  }
}

// Runs f in a child process with its address space capped (8 GiB; ASan builds instead cap single
// allocations through __asan_default_options below), so an input asking for an absurd allocation
// fails the test instead of taking the machine's memory. Returns "typed", "accepted", "untyped: ...",
// or "signal N".
std::string run_capped(const std::function<void()>& f) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
#ifndef RELIABILITY_ASAN
    rlimit lim{8ull << 30, 8ull << 30};
    setrlimit(RLIMIT_AS, &lim);
#endif
    Result r = run_loader(f);
    std::string msg = r.outcome == Outcome::Accepted ? "accepted"
                      : r.outcome == Outcome::TypedError ? "typed"
                                                         : "untyped: " + r.what;
    if (write(pipefd[1], msg.data(), msg.size()) < 0) _exit(3);
    _exit(0);
  }
  close(pipefd[1]);
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0) msg.append(buf, size_t(n));
  close(pipefd[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st)) return "signal " + std::to_string(WTERMSIG(st));
  return msg;
}

// ---------------------------------------------------------------- configs

std::shared_ptr<PretrainedConfig> config_from(const TempDir& d, const std::string& text) {
  write_file(d.path / "config.json", text);
  return PretrainedConfig::from_pretrained(d.path.string());
}

TEST(HostileConfig, NotJsonOrNotAnObject) {
  TempDir d;
  for (const std::string text : {"", "{", "[1,2]", "42", "null", "\"config\"", "{\"a\":1,}", "{\"a\":\xff}", "\xef\xbb\xbf"})
    expect_typed<FormatError>("config.json = '" + text + "'", [&] { config_from(d, text); });
}

TEST(HostileConfig, DeepNestingIsHandled) {
  // 200k nested arrays: a recursive parser or destructor would overflow the stack.
  TempDir d;
  const std::string deep = "{\"a\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
  Result r = run_loader([&] { config_from(d, deep); });
  EXPECT_NE(r.outcome, Outcome::UntypedError) << r.what;
}

TEST(HostileConfig, WrongTypesAreFormatErrorsNamingTheKey) {
  TempDir d;
  struct C { std::string json; std::function<void(const PretrainedConfig&)> use; std::string key; };
  const std::vector<C> cases = {
      {R"({"vocab_size": "99"})", [](const PretrainedConfig& c) { (void)c.vocab_size(); }, "vocab_size"},
      {R"({"hidden_size": [32]})", [](const PretrainedConfig& c) { (void)c.hidden_size(); }, "hidden_size"},
      {R"({"num_hidden_layers": null})", [](const PretrainedConfig& c) { (void)c.num_hidden_layers(); }, "num_hidden_layers"},
      {R"({"num_attention_heads": {"a": 1}})", [](const PretrainedConfig& c) { (void)c.num_attention_heads(); }, "num_attention_heads"},
      {R"({"tie_word_embeddings": "yes"})", [](const PretrainedConfig& c) { (void)c.tie_word_embeddings(); }, "tie_word_embeddings"},
      {R"({"id2label": [1, 2]})", [](const PretrainedConfig& c) { (void)c.id2label(); }, "id2label"},
      {R"({"id2label": {"x": "A"}})", [](const PretrainedConfig& c) { (void)c.id2label(); }, "id2label"},
      {R"({"id2label": {"0": 5}})", [](const PretrainedConfig& c) { (void)c.id2label(); }, "id2label"},
      {R"({"pruned_heads": {"0": "all"}})", [](const PretrainedConfig& c) { (void)c.pruned_heads(); }, "pruned_heads"},
      {R"({"pruned_heads": {"zero": [1]}})", [](const PretrainedConfig& c) { (void)c.pruned_heads(); }, "pruned_heads"},
      {R"({"architectures": "GPT2LMHeadModel"})", [](const PretrainedConfig& c) { (void)c.architectures(); }, "architectures"},
  };
  for (const auto& c : cases) {
    Result r = run_loader([&] { c.use(*config_from(d, c.json)); });
    EXPECT_EQ(r.outcome, Outcome::TypedError) << c.json << ": " << r.what;
    if (r.outcome == Outcome::TypedError) EXPECT_NE(r.what.find(c.key), std::string::npos) << c.json << ": " << r.what;
  }
}

// Known leniency (docs/reliability.md, reported to the config owner): a torch_dtype that is not a
// string ({"torch_dtype": 16}) reads as absent and a rope_theta that is not a number reads as the
// class default, where Python would fail later. They are not asserted here.

TEST(HostileConfig, FloatsOutOfIntegerRangeAreRefused) {
  // Found by fuzz_config: get<int64_t>() of 1e100 was a float-to-integer overflow (UBSan), giving a
  // garbage vocab size in a normal build.
  TempDir d;
  for (const std::string text : {R"({"vocab_size": 9.9e100})", R"({"vocab_size": -1e300})", R"({"vocab_size": 9.3e18})"}) {
    Result r = run_loader([&] { (void)config_from(d, text)->vocab_size(); });
    EXPECT_EQ(r.outcome, Outcome::TypedError) << text << ": " << r.what;
  }
  write_file(d.path / "generation_config.json", R"({"max_length": 1e30})");
  Result r = run_loader([&] { (void)GenerationConfig::from_pretrained(d.path.string())->get<int64_t>("max_length"); });
  EXPECT_EQ(r.outcome, Outcome::TypedError) << r.what;
}

TEST(HostileConfig, FuzzConfigCrashInputs) {
  // The two inputs fuzz_config stopped on (tests/data/reliability/fuzz_config/): a float and an
  // integer literal beyond uint64 (which JSON parsers store as a float) in integer fields.
  int n = 0;
  for (const auto& e : fs::directory_iterator(data_dir() / "fuzz_config")) {
    TempDir d;
    fs::copy_file(e.path(), d.path / "config.json");
    Result r = run_loader([&] { load_config(d.path); });
    EXPECT_EQ(r.outcome, Outcome::TypedError) << e.path() << ": " << r.what;
    ++n;
  }
  EXPECT_EQ(n, 2);
}

TEST(FuzzFindings, TorchZip64LocatorInTinyFile) {
  // fuzz_torch_pickle: a 49-byte "zip" whose end record asks for ZIP64 made ZipReader compute
  // size - 56 with size < 56 (unsigned wrap) and read far past the mapping (SEGV under ASan).
  TempDir d;
  const fs::path p = d.path / "pytorch_model.bin";
  fs::copy_file(data_dir() / "fuzz_torch_pickle" / "zip64_locator_in_49_byte_file.bin", p);
  EXPECT_EQ(run_capped([&] { load_checkpoint_file(p); }), "typed");
}

TEST(FuzzFindings, GenerationConfigFloatBeyondInt64) {
  TempDir d;
  fs::copy_file(data_dir() / "fuzz_generation_config" / "float_beyond_int64.json", d.path / "generation_config.json");
  Result r = run_loader([&] { load_generation_config(d.path); });
  EXPECT_NE(r.outcome, Outcome::UntypedError) << r.what;
}

TEST(FuzzFindings, TokenizerJsonNumberOverflow) {
  // fuzz_tokenizer_json: a number literal beyond double range ("1E111...") makes the JSON parser
  // throw out_of_range (not parse_error), which escaped Tokenizer::from_str untyped.
  const std::string text = read_file(data_dir() / "fuzz_tokenizer_json" / "number_overflow.json");
  Result r = run_loader([&] { Tokenizer::from_str(text); });
  EXPECT_EQ(r.outcome, Outcome::TypedError) << r.what;
  TempDir d;
  write_file(d.path / "tokenizer.json", read_file(tokenizers() / "bert_wordpiece" / "tokenizer.json"));
  write_file(d.path / "tokenizer_config.json", "{\"model_max_length\": 1E999}");
  r = run_loader([&] { load_auto_tokenizer(d.path); });
  EXPECT_EQ(r.outcome, Outcome::TypedError) << r.what;
}

TEST(HostileConfig, UnknownDtypeNameIsTyped) {
  TempDir d;
  for (const std::string text : {R"({"torch_dtype": "float99"})", R"({"dtype": "complex128"})"}) {
    Result r = run_loader([&] { (void)config_from(d, text)->torch_dtype(); });
    EXPECT_EQ(r.outcome, Outcome::TypedError) << text << ": " << r.what;
  }
}

TEST(HostileConfig, MissingRequiredFieldsAreKeyErrors) {
  TempDir d;
  auto c = config_from(d, "{}");
  expect_typed<KeyError>("vocab_size of {}", [&] { (void)c->vocab_size(); });
  expect_typed<KeyError>("hidden_size of {}", [&] { (void)c->hidden_size(); });
  expect_typed<FileNotFoundError>("config.json missing", [&] {
    TempDir empty;
    PretrainedConfig::from_pretrained(empty.path.string());
  });
}

TEST(HostileGenerationConfig, WrongTypes) {
  TempDir d;
  auto load = [&](const std::string& text) {
    write_file(d.path / "generation_config.json", text);
    return GenerationConfig::from_pretrained(d.path.string());
  };
  expect_typed<FormatError>("generation_config.json = '['", [&] { load("["); });
  expect_typed<FormatError>("generation_config.json = '[]'", [&] { load("[]"); });
  for (const std::string text : {R"({"eos_token_id": "2"})", R"({"eos_token_id": [2, "3"]})", R"({"eos_token_id": {"a": 1}})"}) {
    Result r = run_loader([&] { (void)load(text)->eos_token_ids(); });
    EXPECT_EQ(r.outcome, Outcome::TypedError) << text << ": " << r.what;
  }
  Result r = run_loader([&] { (void)load(R"({"max_length": "20"})")->get<int64_t>("max_length"); });
  EXPECT_EQ(r.outcome, Outcome::TypedError) << r.what;
}

// ---------------------------------------------------------------- shard indexes

// A folder holding gpt2's three shards and an index with the given weight_map entry replaced.
struct IndexFolder {
  TempDir dir;
  json index;
  IndexFolder() {
    const fs::path src = models() / "gpt2" / "sharded";
    for (const auto& e : fs::directory_iterator(src))
      if (e.path().extension() == ".safetensors") fs::copy_file(e.path(), dir.path / e.path().filename());
    index = json::parse(read_file(src / "model.safetensors.index.json"));
  }
  fs::path write() {
    const fs::path p = dir.path / "model.safetensors.index.json";
    write_file(p, index.dump(2));
    return p;
  }
  std::string first_key() const { return index["weight_map"].begin().key(); }
};

TEST(HostileIndex, ShardNamesEscapingTheFolderAreSecurityErrors) {
  for (const std::string shard : std::vector<std::string>{"../model-00001-of-00003.safetensors", "/etc/passwd",
                                                          "sub/../../x.safetensors", "./../x", std::string("a\0b", 3),
                                                          "..\\x.safetensors"}) {
    IndexFolder f;
    f.index["weight_map"][f.first_key()] = shard;
    f.write();
    Result r = run_loader([&] { load_checkpoint(f.dir.path); });
    EXPECT_EQ(r.outcome, Outcome::TypedError) << "shard '" << shard << "': " << r.what;
  }
  {
    // A symlink inside the folder pointing outside it.
    IndexFolder f;
    TempDir outside;
    fs::copy_file(f.dir.path / "model-00001-of-00003.safetensors", outside.path / "x.safetensors");
    fs::create_symlink(outside.path / "x.safetensors", f.dir.path / "link.safetensors");
    for (auto& [k, v] : f.index["weight_map"].items())
      if (v == "model-00001-of-00003.safetensors") v = "link.safetensors";
    const fs::path idx = f.write();
    expect_typed<SecurityError>("symlink out of the folder", [&] { io::read_shard_index(idx); });
  }
}

TEST(HostileIndex, MissingShardsAndWrongMapsAreTyped) {
  {
    IndexFolder f;
    fs::remove(f.dir.path / "model-00002-of-00003.safetensors");
    f.write();
    expect_typed<FileNotFoundError>("missing shard", [&] { load_checkpoint(f.dir.path); });
  }
  {
    IndexFolder f;
    f.index["weight_map"]["not.a.tensor"] = "model-00001-of-00003.safetensors";
    f.write();
    expect_typed<FormatError>("index names a tensor no shard holds", [&] { load_checkpoint(f.dir.path); });
  }
  {
    IndexFolder f;
    f.index["weight_map"][f.first_key()] = "model-00009-of-00009.safetensors";
    f.write();
    expect_typed<FileNotFoundError>("index names a shard that does not exist", [&] { load_checkpoint(f.dir.path); });
  }
  for (const json wm : {json(nullptr), json::array({"a"}), json("x"), json{{"a", 5}}, json{{"a", json::array()}}}) {
    IndexFolder f;
    f.index["weight_map"] = wm;
    f.write();
    Result r = run_loader([&] { load_checkpoint(f.dir.path); });
    EXPECT_EQ(r.outcome, Outcome::TypedError) << "weight_map " << wm.dump() << ": " << r.what;
  }
  {
    IndexFolder f;
    f.index.erase("weight_map");
    f.write();
    Result r = run_loader([&] { load_checkpoint(f.dir.path); });
    EXPECT_EQ(r.outcome, Outcome::TypedError) << "no weight_map: " << r.what;
  }
}

TEST(HostileIndex, ShardPointingAtAFolderOrAnIndex) {
  IndexFolder f;
  fs::create_directory(f.dir.path / "dir.safetensors");
  f.index["weight_map"][f.first_key()] = "dir.safetensors";
  f.write();
  Result r = run_loader([&] { load_checkpoint(f.dir.path); });
  EXPECT_EQ(r.outcome, Outcome::TypedError) << r.what;
  IndexFolder g;
  g.index["weight_map"][g.first_key()] = "model.safetensors.index.json";  // the index itself
  g.write();
  r = run_loader([&] { load_checkpoint(g.dir.path); });
  EXPECT_EQ(r.outcome, Outcome::TypedError) << r.what;
}

// ---------------------------------------------------------------- tokenizers

json small_tokenizer() {
  return json::parse(read_file(tokenizers() / "bert_wordpiece" / "tokenizer.json"));
}

TEST(HostileTokenizer, UnknownComponentTypes) {
  for (const char* part : {"model", "normalizer", "pre_tokenizer", "post_processor", "decoder"}) {
    json j = small_tokenizer();
    if (j[part].is_null()) j[part] = json::object();
    j[part]["type"] = "NoSuchComponent";
    Result r = run_loader([&] { Tokenizer::from_str(j.dump()); });
    EXPECT_EQ(r.outcome, Outcome::TypedError) << part << " of unknown type: " << r.what;
    if (r.outcome == Outcome::TypedError)
      EXPECT_NE(r.what.find("NoSuchComponent"), std::string::npos) << "message should name the type: " << r.what;
  }
  // Unknown type nested in a Sequence.
  json j = small_tokenizer();
  j["normalizer"] = {{"type", "Sequence"}, {"normalizers", json::array({json{{"type", "Bogus"}}})}};
  Result r = run_loader([&] { Tokenizer::from_str(j.dump()); });
  EXPECT_EQ(r.outcome, Outcome::TypedError) << r.what;
}

TEST(HostileTokenizer, MalformedFields) {
  std::vector<std::function<void(json&)>> edits = {
      [](json& j) { j.erase("model"); },
      [](json& j) { j["model"] = 5; },
      [](json& j) { j["model"]["vocab"] = json::array({1, 2}); },
      [](json& j) { j["model"]["vocab"] = json{{"a", -1}}; },
      [](json& j) { j["model"]["vocab"] = json{{"a", "one"}}; },
      [](json& j) { j["added_tokens"] = json::array({json{{"id", "x"}, {"content", "[X]"}}}); },
      [](json& j) { j["added_tokens"] = json::array({json{{"id", 3}}}); },
      [](json& j) { j["added_tokens"] = 7; },
      [](json& j) { j["normalizer"] = json{{"type", "Replace"}, {"pattern", json{{"Regex", "("}}}, {"content", "x"}}; },
      [](json& j) { j["pre_tokenizer"] = json{{"type", "Split"}, {"pattern", json{{"Regex", "[a-"}}}, {"behavior", "Isolated"}, {"invert", false}}; },
      [](json& j) { j["post_processor"] = json{{"type", "TemplateProcessing"}, {"single", "nope"}}; },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    json j = small_tokenizer();
    edits[i](j);
    Result r = run_loader([&] {
      auto tok = Tokenizer::from_str(j.dump());
      tok.encode("hello world");
    });
    EXPECT_EQ(r.outcome, Outcome::TypedError) << "edit " << i << ": " << r.what;
  }
}

TEST(HostileTokenizer, BpeMergesNamingUnknownTokens) {
  json j = json::parse(read_file(tokenizers() / "gpt2_bpe" / "tokenizer.json"));
  j["model"]["merges"] = json::array({"zzzq qqqz"});
  Result r = run_loader([&] { Tokenizer::from_str(j.dump()); });
  EXPECT_EQ(r.outcome, Outcome::TypedError) << r.what;
}

TEST(HostileTokenizer, TokenizerConfigWrongTypes) {
  for (const std::string text : {R"([])", R"({"model_max_length": "big"})", R"({"bos_token": 5})",
                                 R"({"padding_side": 3})", R"({"added_tokens_decoder": {"x": {"content": "a"}}})",
                                 R"({"added_tokens_decoder": {"5": 1}})", R"({"additional_special_tokens": "x"})"}) {
    TempDir d;
    fs::copy_file(tokenizers() / "bert_wordpiece" / "tokenizer.json", d.path / "tokenizer.json");
    write_file(d.path / "tokenizer_config.json", text);
    Result r = run_loader([&] { load_auto_tokenizer(d.path); });
    EXPECT_NE(r.outcome, Outcome::UntypedError) << text << ": " << r.what;
    EXPECT_EQ(r.outcome, Outcome::TypedError) << text << " was accepted";
  }
}

TEST(HostileTokenizer, MissingTokenizerJsonIsFileNotFound) {
  TempDir d;
  write_file(d.path / "tokenizer_config.json", "{}");
  expect_typed<FileNotFoundError>("folder without tokenizer.json", [&] { AutoTokenizer::from_pretrained(d.path); });
}

// ---------------------------------------------------------------- absurd sizes

std::string st_bytes(const std::string& header, const std::string& data, uint64_t claimed_len) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char((claimed_len >> (8 * i)) & 0xff);
  return out + header + data;
}

TEST(AbsurdSizes, SafetensorsRefusedBeforeAllocating) {
  TempDir d;
  const fs::path p = d.path / "model.safetensors";
  const std::string h = R"({"a":{"dtype":"F32","shape":[1152921504606846976],"data_offsets":[0,8]}})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"10 GB header length", st_bytes("{}", "", 10'000'000'000ull)},
      {"2^64-1 header length", st_bytes("{}", "", ~0ull)},
      {"tensor of 2^60 elements", st_bytes(h, std::string(8, '\0'), h.size())},
      {"shape product overflowing int64",
       st_bytes(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})", std::string(8, '\0'),
                87)},
  };
  for (const auto& [what, bytes] : cases) {
    write_file(p, bytes);
    EXPECT_EQ(run_capped([&] { load_checkpoint_file(p); }), "typed") << what;
  }
}

TEST(AbsurdSizes, TokenizerVocabIdsFarBeyondTheVocab) {
  // A 200-byte tokenizer.json whose single token has id 2^31-1: Hugging Face keeps ids in hash
  // maps, so a dense id->token table sized by the largest id would ask for 64 GiB here. Accepting
  // the file (with sparse storage) or refusing it with a typed error are both fine.
  for (const char* model : {"WordLevel", "WordPiece", "BPE"}) {
    json j = {{"version", "1.0"}, {"added_tokens", json::array()}, {"normalizer", nullptr}, {"pre_tokenizer", nullptr},
              {"post_processor", nullptr}, {"decoder", nullptr},
              {"model", {{"type", model}, {"vocab", {{"a", 2147483647}, {"[UNK]", 0}}}, {"unk_token", "[UNK]"}}}};
    if (std::string(model) == "BPE") j["model"]["merges"] = json::array();
    const std::string text = j.dump();
    const std::string got = run_capped([&] {
      auto tok = Tokenizer::from_str(text);
      tok.encode("a");
    });
    EXPECT_TRUE(got == "typed" || got == "accepted") << model << ": " << got;
  }
  // The same through added_tokens.
  json j = small_tokenizer();
  j["added_tokens"].push_back({{"id", 2147483647}, {"content", "<huge>"}, {"single_word", false}, {"lstrip", false},
                               {"rstrip", false}, {"normalized", false}, {"special", true}});
  const std::string text = j.dump();
  const std::string got = run_capped([&] { Tokenizer::from_str(text).encode("<huge> a"); });
  EXPECT_TRUE(got == "typed" || got == "accepted") << "added token id 2^31-1: " << got;
}

}  // namespace
}  // namespace reliability

// In the sanitize build, an allocation above 4 GiB returns null (then std::bad_alloc) instead of
// taking the machine's memory, so run_capped() sees it as an untyped error.
#ifdef RELIABILITY_ASAN
extern "C" const char* __asan_default_options() { return "malloc_limit_mb=4096:allocator_may_return_null=1"; }
#endif
