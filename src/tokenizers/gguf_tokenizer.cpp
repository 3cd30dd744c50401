// GGUF metadata -> the tokenizer.json 4.51 ends up with. Facts from transformers 4.51
// (integrations/ggml.py GGUFLlamaConverter for a non-"llama" tokenizer model, then
// LlamaTokenizerFast's __init__: special tokens registered, bos prepended by the post-processor),
// checked against the serialised backend tokenizer by tests/oracle/make_gguf_tokenizer.py.
#include "transformers/tokenizers/gguf_tokenizer.hpp"

#include <algorithm>
#include <map>

#include "transformers/core/error.hpp"

namespace transformers {

namespace {

using ojson = nlohmann::ordered_json;

std::optional<int64_t> opt_int(const io::GGUFReader& r, const std::string& key) {
  if (!r.find(key)) return std::nullopt;
  return r.get_int(key);
}

ojson added_token(int64_t id, const std::string& content) {
  return {{"id", id},           {"content", content}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false},    {"normalized", false}, {"special", true}};
}

}  // namespace

GGUFTokenizer gguf_tokenizer(const io::GGUFReader& r) {
  const std::string where = "GGUF file '" + r.path() + "'";
  const std::string arch = r.get_string("general.architecture");
  const std::string model = r.find("tokenizer.ggml.model") ? r.get_string("tokenizer.ggml.model") : "llama";
  if (arch != "llama" || model == "llama")
    throw UnsupportedError(where + ": the tokenizer of architecture '" + arch + "' with tokenizer.ggml.model '" + model +
                           "' is not built yet (done: architecture llama with a byte-level BPE vocabulary, e.g. "
                           "tokenizer.ggml.model gpt2); pass a tokenizer.json");
  const std::vector<std::string> tokens = r.get_strings("tokenizer.ggml.tokens");
  const int64_t n = int64_t(tokens.size());
  auto token_of = [&](const std::string& key) -> std::optional<std::string> {
    const auto id = opt_int(r, key);
    if (!id) return std::nullopt;
    if (*id < 0 || *id >= n)
      throw FormatError(where + ": key '" + key + "': expected a token id below " + std::to_string(n) + ", found " +
                        std::to_string(*id));
    return tokens[size_t(*id)];
  };
  const auto unk = token_of("tokenizer.ggml.unknown_token_id");
  const auto bos = token_of("tokenizer.ggml.bos_token_id");
  const auto eos = token_of("tokenizer.ggml.eos_token_id");
  token_of("tokenizer.ggml.padding_token_id");  // checked; 4.51 passes it as pad_token_id only, pad_token stays None
  if (!bos)
    throw UnsupportedError(where + ": no tokenizer.ggml.bos_token_id (4.51's LlamaTokenizerFast prepends bos and "
                           "refuses a tokenizer without one)");

  // Special tokens: token_type 3 (control), then the bos/eos/unk names the tokenizer class
  // registers; serialised by id.
  std::map<int64_t, std::string> special;
  if (r.find("tokenizer.ggml.token_type")) {
    const std::vector<int64_t> types = r.get_ints("tokenizer.ggml.token_type");
    for (size_t i = 0; i < types.size() && i < tokens.size(); ++i)
      if (types[i] == 3) special.emplace(int64_t(i), tokens[i]);
  }
  ojson vocab = ojson::object();
  for (int64_t i = 0; i < n; ++i) vocab[tokens[size_t(i)]] = i;  // a repeated token keeps its last id, as a dict does
  auto id_of = [&](const std::string& t) { return vocab.at(t).get<int64_t>(); };
  // 4.51 swaps the two names (GGUFLlamaConverter passes eos_token=bos, bos_token=eos, both taken
  // from bos_token_id): the tokenizer's bos and eos are the bos id's token.
  for (const auto& t : {unk, bos})
    if (t) special.emplace(id_of(*t), *t);

  ojson added = ojson::array();
  for (const auto& [id, content] : special) added.push_back(added_token(id, content));

  ojson merges = ojson::array();
  if (r.find("tokenizer.ggml.merges"))
    for (const std::string& m : r.get_strings("tokenizer.ggml.merges")) {
      const auto sp = m.find(' ');
      // Python's tuple(merge.split(" ")): a merge is two parts
      if (sp == std::string::npos || m.find(' ', sp + 1) != std::string::npos)
        throw FormatError(where + ": key 'tokenizer.ggml.merges': expected 'left right', found '" + m + "'");
      merges.push_back(ojson::array({m.substr(0, sp), m.substr(sp + 1)}));
    }

  const bool add_prefix_space = r.find("tokenizer.ggml.add_space_prefix") ? r.get_bool("tokenizer.ggml.add_space_prefix") : true;
  ojson decoders = ojson::array({
      {{"type", "ByteFallback"}},
      {{"type", "Fuse"}},
      {{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
      {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}},
  });
  if (add_prefix_space) decoders.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});

  const int64_t bos_id = id_of(*bos);
  auto special_ref = [&](int type_id) { return ojson{{"SpecialToken", {{"id", *bos}, {"type_id", type_id}}}}; };
  auto seq = [](const char* id, int type_id) { return ojson{{"Sequence", {{"id", id}, {"type_id", type_id}}}}; };
  ojson post = {
      {"type", "TemplateProcessing"},
      {"single", ojson::array({special_ref(0), seq("A", 0)})},
      {"pair", ojson::array({special_ref(0), seq("A", 0), special_ref(1), seq("B", 1)})},
      {"special_tokens", {{*bos, {{"id", *bos}, {"ids", ojson::array({bos_id})}, {"tokens", ojson::array({*bos})}}}}},
  };

  ojson j = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", {{"type", "Sequence"}, {"normalizers", ojson::array()}}},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
      {"post_processor", post},
      {"decoder", {{"type", "Sequence"}, {"decoders", decoders}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", unk ? ojson(*unk) : ojson(nullptr)},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", true},
        {"byte_fallback", true},
        {"ignore_merges", false},
        {"vocab", vocab},
        {"merges", merges}}},
  };
  std::optional<std::string> chat_template;
  if (r.find("tokenizer.chat_template")) chat_template = r.get_string("tokenizer.chat_template");
  (void)eos;
  return GGUFTokenizer{.tokenizer_json = j,
                       .tokenizer = Tokenizer::from_str(j.dump()),
                       .bos_token = bos,
                       .eos_token = bos,
                       .unk_token = unk,
                       .pad_token = std::nullopt,
                       .chat_template = chat_template};
}

}  // namespace transformers
