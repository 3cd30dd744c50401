#pragma once
// The pipeline stages of a tokenizer.json, each built from its JSON object by a factory that
// throws FormatError naming the offending field.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizers/normalized_string.hpp"
#include "transformers/tokenizers/encoding.hpp"

namespace transformers::tokenizers_detail {

using json = nlohmann::json;

// ---- JSON field access that names the field in its errors -------------------------------------
const json& field(const json& obj, const char* key, const std::string& where);
std::string get_string(const json& obj, const char* key, const std::string& where);
std::optional<std::string> get_opt_string(const json& obj, const char* key, const std::string& where);
bool get_bool(const json& obj, const char* key, const std::string& where, std::optional<bool> dflt = std::nullopt);
int64_t get_int(const json& obj, const char* key, const std::string& where, std::optional<int64_t> dflt = std::nullopt);
std::string get_type(const json& obj, const std::string& where);

// ---- pre-tokenized string -----------------------------------------------------------------------
struct Token {
  int32_t id;
  std::string value;
  uint32_t start, end;  // byte offsets inside the split's normalized text
};

struct Split {
  NormalizedString normalized;
  std::optional<std::vector<Token>> tokens;
};

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
SplitBehavior parse_behavior(const json& v, const std::string& where);

using Span = std::pair<std::size_t, std::size_t>;
// Turns (span, is_match) pieces covering the text into the kept spans for a behaviour.
void apply_behavior(std::vector<std::pair<Span, bool>>& pieces, SplitBehavior b, std::vector<Span>& out);
// Match spans -> alternating (span, is_match) list over [0, len).
void matches_to_pieces(const std::vector<Span>& matches, std::size_t len, bool invert,
                       std::vector<std::pair<Span, bool>>& pieces);

// ---- stages ---------------------------------------------------------------------------------------
class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(NormalizedString& s) const = 0;
};
std::unique_ptr<Normalizer> make_normalizer(const json& j, const std::string& where);
// Normalizes a plain string (used for normalized added tokens and for the Replace decoder).
std::string normalize_str(const Normalizer& n, std::string_view s);

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits every split that has no tokens yet.
  virtual void pre_tokenize(std::vector<Split>& splits) const = 0;
};
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& j, const std::string& where);

class Model {
 public:
  virtual ~Model() = default;
  virtual void tokenize(std::string_view word, std::vector<Token>& out) const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  virtual std::optional<std::string> id_to_token(int32_t id) const = 0;
  virtual std::size_t vocab_size() const = 0;
  virtual std::unordered_map<std::string, int32_t> vocab() const = 0;
};
std::unique_ptr<Model> make_model(const json& j, const std::string& where);

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual std::size_t added_tokens(bool is_pair) const = 0;
  // Works on the list of encodings (1 or 2 on input); the caller merges the result.
  virtual void process(std::vector<Encoding>& encodings, bool add_special_tokens) const = 0;
};
std::unique_ptr<PostProcessor> make_post_processor(const json& j, const std::string& where);

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};
std::unique_ptr<Decoder> make_decoder(const json& j, const std::string& where);

// ---- added vocabulary -----------------------------------------------------------------------------
struct AddedTokenInfo {
  std::string content;
  int32_t id;
  bool single_word, lstrip, rstrip, normalized, special;
};

class AddedVocabulary {
 public:
  void add(const AddedTokenInfo& t);
  // Adds a token the way Hugging Face re-adds it on load: a content already known (added or in
  // the model vocab) keeps that id, otherwise the next id after the vocab / the largest added id.
  // t.id is ignored. Returns the id given.
  int32_t add_like_hf(AddedTokenInfo t, const Model& model);
  // Builds the matchers; the normalizer (may be null) is applied to normalized=true contents.
  void build(const Normalizer* normalizer);
  // Split `splits` (each without tokens) at the added tokens of one kind.
  void extract(std::vector<Split>& splits, bool normalized_pass, bool encode_special_tokens) const;
  std::optional<int32_t> token_to_id(std::string_view s) const;
  std::optional<std::string> id_to_token(int32_t id) const;
  bool is_special(std::string_view content) const;
  const std::vector<AddedTokenInfo>& tokens() const { return tokens_; }
  std::size_t size() const { return tokens_.size(); }

 private:
  struct Trie {
    struct Node {
      std::unordered_map<unsigned char, int32_t> next;
      int32_t token = -1;  // index into tokens_
    };
    std::vector<Node> nodes{Node{}};
    void insert(std::string_view s, int32_t token);
    // Longest token starting at text[pos]: (end, token index) or token -1.
    std::pair<std::size_t, int32_t> longest(std::string_view text, std::size_t pos) const;
    bool empty() const { return nodes.size() == 1; }
    bool first_byte[256] = {};
  };
  void split_one(const Split& s, const Trie& trie, bool encode_special_tokens, std::vector<Split>& out) const;

  std::vector<AddedTokenInfo> tokens_;
  std::unordered_map<std::string, int32_t> by_content_;
  std::unordered_map<int32_t, std::size_t> by_id_;
  Trie raw_, norm_;
};

// Byte-level table (GPT-2): byte -> code point, and back.
const char32_t* bytes_to_unicode();
int unicode_to_byte(char32_t c);  // -1 when not in the table

}  // namespace transformers::tokenizers_detail
