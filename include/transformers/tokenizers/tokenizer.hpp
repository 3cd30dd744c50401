#pragma once
// A `tokenizer.json` tokenizer that gives the same ids, tokens and offsets as Hugging Face's
// `tokenizers` library (Python: `tokenizers.Tokenizer`). Pipeline: added tokens, normalizer,
// pre-tokenizer, model, post-processor; decode runs the decoder.
//
//   auto tok = transformers::Tokenizer::from_file("tokenizer.json");
//   auto enc = tok.encode("Hello world", {.add_special_tokens = true});
//   std::string text = tok.decode(enc.ids, {.skip_special_tokens = true});
//
// Text is UTF-8. Invalid UTF-8 is first replaced the way Python's
// `bytes.decode("utf-8", errors="replace")` does (one U+FFFD per maximal invalid subpart), and
// offsets count characters of that replaced text.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "transformers/tokenizers/encoding.hpp"

namespace transformers {

namespace tokenizers_detail {
class Normalizer;
class PreTokenizer;
class Model;
class PostProcessor;
class Decoder;
class AddedVocabulary;
}  // namespace tokenizers_detail

enum class TruncationStrategy { LongestFirst, OnlyFirst, OnlySecond };
enum class Direction { Right, Left };

struct TruncationParams {
  std::size_t max_length = 512;
  std::size_t stride = 0;
  TruncationStrategy strategy = TruncationStrategy::LongestFirst;
  Direction direction = Direction::Right;
};

struct PaddingParams {
  // nullopt: pad to the longest in the batch (BatchLongest); a value: Fixed(length).
  std::optional<std::size_t> length;
  Direction direction = Direction::Right;
  std::optional<std::size_t> pad_to_multiple_of;
  int32_t pad_id = 0;
  int32_t pad_type_id = 0;
  std::string pad_token = "[PAD]";
};

struct EncodeOptions {
  bool add_special_tokens = true;
};

struct DecodeOptions {
  bool skip_special_tokens = true;  // Python tokenizers' default
};

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

class Tokenizer {
 public:
  // Reads a tokenizer.json file. Throws FileNotFoundError, or FormatError naming the field.
  static Tokenizer from_file(const std::filesystem::path& path);
  // Parses the JSON text of a tokenizer.json.
  static Tokenizer from_str(std::string_view json);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  Encoding encode(std::string_view text, EncodeOptions options = {}) const;
  Encoding encode_pair(std::string_view text, std::string_view pair, EncodeOptions options = {}) const;
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts, EncodeOptions options = {}) const;
  std::vector<Encoding> encode_batch_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                                           EncodeOptions options = {}) const;

  std::string decode(const std::vector<int32_t>& ids, DecodeOptions options = {}) const;
  std::vector<std::string> decode_batch(const std::vector<std::vector<int32_t>>& batch,
                                        DecodeOptions options = {}) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(int32_t id) const;
  // Model vocab plus added tokens (with_added_tokens=true), as Python's get_vocab_size.
  std::size_t get_vocab_size(bool with_added_tokens = true) const;
  std::unordered_map<std::string, int32_t> get_vocab(bool with_added_tokens = true) const;
  std::vector<AddedToken> get_added_tokens() const;
  std::size_t num_special_tokens_to_add(bool is_pair) const;

  void enable_truncation(TruncationParams params);
  void no_truncation();
  const std::optional<TruncationParams>& truncation() const { return truncation_; }
  void enable_padding(PaddingParams params);
  void no_padding();
  const std::optional<PaddingParams>& padding() const { return padding_; }
  // transformers' `split_special_tokens`: special added tokens are not split out of the text.
  void set_encode_special_tokens(bool value);
  bool encode_special_tokens() const;

  // Adds tokens to the added vocabulary (Python add_tokens / add_special_tokens). A content already
  // in the vocab keeps its id; others get the next free id. Returns how many were new.
  std::size_t add_tokens(const std::vector<AddedToken>& tokens);
  std::size_t add_special_tokens(const std::vector<std::string>& contents);
  // Replaces the post-processor by a TemplateProcessing written in the string shorthand
  // ("[CLS]:0 $A:0 [SEP]:0"), with the ids of its special tokens.
  void set_template_processing(const std::string& single, const std::string& pair,
                               const std::vector<std::pair<std::string, int32_t>>& special_tokens);

  // Batch encoding with explicit truncation / padding instead of the tokenizer's own (what
  // transformers does at call time). `pairs`, when given, has one entry per text.
  std::vector<Encoding> encode_batch_with(const std::vector<std::string>& texts, const std::vector<std::string>* pairs,
                                          bool add_special_tokens, const std::optional<TruncationParams>& truncation,
                                          const std::optional<PaddingParams>& padding) const;

  // The same over pre-tokenized input (Python's is_pretokenized=True, transformers'
  // is_split_into_words=True): each row is a list of words, each word normalized, pre-tokenized and
  // tokenized on its own; every token's word id is its word's index in the row and its offsets are
  // characters within that word, as tokenizers' Encoding::merge without growing offsets gives them.
  using Words = std::vector<std::string>;
  std::vector<Encoding> encode_batch_words_with(const std::vector<Words>& rows, const std::vector<Words>* pairs,
                                                bool add_special_tokens, const std::optional<TruncationParams>& truncation,
                                                const std::optional<PaddingParams>& padding) const;

  // Pads encodings in place as the padding params say (BatchLongest uses the longest here).
  void pad_encodings(std::vector<Encoding>& encodings, const PaddingParams& params) const;

 private:
  Tokenizer();
  Encoding encode_impl(std::string_view a, const std::string_view* b, bool add_special,
                       const std::optional<TruncationParams>& truncation, const std::optional<PaddingParams>& padding) const;
  // Truncation, post-processing and padding of already tokenized sequences (b: the pair's).
  Encoding finish(Encoding ea, std::optional<Encoding> eb, bool add_special, const std::optional<TruncationParams>& truncation,
                  const std::optional<PaddingParams>& padding) const;
  Encoding encode_single(std::string_view text, int32_t type_id) const;
  Encoding encode_words(const Words& words, int32_t type_id) const;

  std::unique_ptr<tokenizers_detail::Normalizer> normalizer_;
  std::unique_ptr<tokenizers_detail::PreTokenizer> pre_tokenizer_;
  std::unique_ptr<tokenizers_detail::Model> model_;
  std::unique_ptr<tokenizers_detail::PostProcessor> post_processor_;
  std::unique_ptr<tokenizers_detail::Decoder> decoder_;
  std::unique_ptr<tokenizers_detail::AddedVocabulary> added_;
  std::optional<TruncationParams> truncation_;
  std::optional<PaddingParams> padding_;
  bool encode_special_tokens_ = false;
};

}  // namespace transformers
