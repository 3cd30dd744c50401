#pragma once
// transformers' fast tokenizer front end: tokenizer.json plus tokenizer_config.json and
// special_tokens_map.json, with the call semantics of PreTrainedTokenizerFast.
//
//   auto tok = transformers::AutoTokenizer::from_pretrained("path/to/folder");
//   auto batch = tok({"Hello world", "Hi"}, {.padding = transformers::Padding::Longest,
//                                              .truncation = true, .max_length = 12});
//   std::string text = tok.decode(batch.input_ids[0], {.skip_special_tokens = true});
//
// As in transformers 5, the truncation and padding sections of tokenizer.json are not used at call
// time; the call options decide. clean_up_tokenization_spaces defaults to false (the v5 default)
// unless tokenizer_config.json sets it.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <map>

#include <nlohmann/json.hpp>

#include "transformers/hub/options.hpp"
#include "transformers/tokenizers/chat_template.hpp"
#include "transformers/tokenizers/tokenizer.hpp"

namespace transformers {

enum class Padding { DoNotPad, Longest, MaxLength };

struct TokenizerCallOptions {
  bool add_special_tokens = true;
  Padding padding = Padding::DoNotPad;
  bool truncation = false;
  TruncationStrategy truncation_strategy = TruncationStrategy::LongestFirst;
  std::optional<std::size_t> max_length;
  std::size_t stride = 0;
  std::optional<std::size_t> pad_to_multiple_of;
  std::optional<std::string> padding_side;  // "right" / "left"; default from the config
};

struct TokenizerDecodeOptions {
  bool skip_special_tokens = false;                        // transformers' default
  std::optional<bool> clean_up_tokenization_spaces;        // default from the config
};

struct BatchEncoding {
  std::vector<std::vector<int64_t>> input_ids;
  std::vector<std::vector<int64_t>> attention_mask;
  std::vector<std::vector<int64_t>> token_type_ids;
  std::vector<std::vector<Offsets>> offset_mapping;
  std::vector<std::vector<int64_t>> special_tokens_mask;
  std::vector<Encoding> encodings;
};

struct AutoTokenizerOptions {
  std::optional<bool> split_special_tokens;
  // Python's gguf_file=: the tokenizer 4.51 builds from a GGUF's tokenizer.ggml.* metadata
  // (gguf_tokenizer.hpp), with its special tokens and chat template; `path` is the .gguf file
  // itself or the local folder holding `gguf_file`.
  std::string gguf_file;
  ::transformers::hub::HubOptions hub;  // where from (revision, token, cache_dir, local_files_only, proxies, subfolder, ...)
};

class PreTrainedTokenizerFast {
 public:
  // `path`: a folder holding tokenizer.json (+ tokenizer_config.json, special_tokens_map.json), the
  // tokenizer.json file itself, or a Hub repo id (through the cache shared with Python).
  static PreTrainedTokenizerFast from_pretrained(const std::string& path, AutoTokenizerOptions options = {});

  BatchEncoding operator()(const std::vector<std::string>& texts, TokenizerCallOptions options = {}) const;
  BatchEncoding operator()(std::string_view text, TokenizerCallOptions options = {}) const;
  BatchEncoding operator()(const std::vector<std::pair<std::string, std::string>>& pairs,
                           TokenizerCallOptions options = {}) const;

  // __call__(words, text_pair=pair_words, is_split_into_words=True): each row a list of words
  // (Tokenizer::encode_batch_words_with); the encodings' word_ids are the word indices.
  BatchEncoding call_split_into_words(const std::vector<Tokenizer::Words>& rows, const std::vector<Tokenizer::Words>* pairs,
                                      TokenizerCallOptions options = {}) const;

  std::vector<int64_t> encode(std::string_view text, TokenizerCallOptions options = {}) const;
  std::vector<std::string> tokenize(std::string_view text, bool add_special_tokens = false) const;
  std::string decode(const std::vector<int64_t>& ids, TokenizerDecodeOptions options = {}) const;
  std::vector<std::string> batch_decode(const std::vector<std::vector<int64_t>>& ids,
                                        TokenizerDecodeOptions options = {}) const;

  std::optional<int64_t> convert_tokens_to_ids(std::string_view token) const;
  std::optional<std::string> convert_ids_to_tokens(int64_t id) const;
  std::size_t size() const { return tokenizer_.get_vocab_size(true); }  // len(tokenizer)
  std::size_t vocab_size() const { return tokenizer_.get_vocab_size(false); }

  // Special tokens (nullopt when the config does not define them) and their ids.
  std::optional<std::string> bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token;
  std::vector<std::string> additional_special_tokens;
  std::optional<int64_t> bos_token_id() const { return id_of(bos_token); }
  std::optional<int64_t> eos_token_id() const { return id_of(eos_token); }
  std::optional<int64_t> unk_token_id() const { return id_of(unk_token); }
  std::optional<int64_t> sep_token_id() const { return id_of(sep_token); }
  std::optional<int64_t> pad_token_id() const { return id_of(pad_token); }
  std::optional<int64_t> cls_token_id() const { return id_of(cls_token); }
  std::optional<int64_t> mask_token_id() const { return id_of(mask_token); }

  // Sizes: "no limit" (int(1e30) in Python) is SIZE_MAX here.
  std::size_t model_max_length = SIZE_MAX;
  std::string padding_side = "right";
  std::string truncation_side = "right";
  bool clean_up_tokenization_spaces = false;
  // The chat template (tokenizer_config.json "chat_template" as a string, or chat_template.jinja,
  // which takes priority as in 4.51), or named templates (the config's list of {"name",
  // "template"}; then chat_template is empty).
  std::optional<std::string> chat_template;
  std::map<std::string, std::string> chat_templates;
  std::string tokenizer_class;
  // tokenizer_config.json's "model_input_names" (4.51 passes it to the tokenizer's __init__, where it
  // replaces the class's own list; ModernBERT's leaves token_type_ids out); empty when not given.
  std::vector<std::string> model_input_names;

  // 4.51's special_tokens_map: the special tokens that are set (additional_special_tokens as a list).
  nlohmann::ordered_json special_tokens_map() const;
  // 4.51's get_chat_template: `name_or_text` names one of chat_templates or is template text; without
  // it, the single template, or "tool_use" (when tools are given) / "default" of named ones.
  // ValueError when there is none.
  std::string get_chat_template(const std::optional<std::string>& name_or_text = std::nullopt, bool has_tools = false) const;
  // apply_chat_template(conversation, ...) of 4.51 for one conversation (a JSON list of messages):
  // the rendered text, and with options.tokenize its input_ids (no special tokens added) and,
  // with options.return_dict, the attention mask.
  ChatTemplateOutput apply_chat_template(const nlohmann::ordered_json& conversation, const ChatTemplateOptions& options = {}) const;

  const Tokenizer& backend_tokenizer() const { return tokenizer_; }
  Tokenizer& backend_tokenizer() { return tokenizer_; }

  // save_pretrained as transformers 4.51 writes it: tokenizer_config.json (the loaded config's
  // keys, the special tokens, added_tokens_decoder, model_max_length, clean_up_tokenization_spaces,
  // extra_special_tokens, tokenizer_class without "Fast"), special_tokens_map.json and
  // tokenizer.json, all in one io::FolderSave (locked, written only when all are complete).
  // Returns the file names written. tokenizer.json is written as it was loaded; a tokenizer whose
  // backend changed since (added tokens, a rebuilt template) is UnsupportedError until the
  // tokenizer.json serializer exists. `class_name` is the Python class ("BertTokenizerFast");
  // empty: from tokenizer_class ("BertTokenizer" -> "BertTokenizerFast", others
  // "PreTrainedTokenizerFast").
  std::vector<std::string> save_pretrained(const std::filesystem::path& folder, const std::string& class_name = "") const;
  // The Python class this tokenizer is in 4.51 (see save_pretrained).
  std::string class_name() const;

 private:
  explicit PreTrainedTokenizerFast(Tokenizer t) : tokenizer_(std::move(t)) {}
  std::optional<int64_t> id_of(const std::optional<std::string>& t) const;
  BatchEncoding run(const std::vector<std::string>* singles, const std::vector<std::pair<std::string, std::string>>* pairs,
                    const TokenizerCallOptions& options) const;
  // The call options as the backend's truncation and padding parameters.
  std::pair<std::optional<TruncationParams>, std::optional<PaddingParams>> backend_params(const TokenizerCallOptions& o) const;
  Tokenizer tokenizer_;
  // What save_pretrained writes back: the loaded tokenizer_config.json (dumped), the loaded
  // tokenizer.json text, and whether the backend still matches that text.
  std::string init_config_;
  std::string tokenizer_json_;
  bool tokenizer_json_current_ = false;
  std::size_t added_tokens_at_load_ = 0;
};

class AutoTokenizer {
 public:
  static PreTrainedTokenizerFast from_pretrained(const std::string& path, AutoTokenizerOptions options = {}) {
    return PreTrainedTokenizerFast::from_pretrained(path, std::move(options));
  }
};

// transformers' clean_up_tokenization (" ." -> ".", " n't" -> "n't", ...).
std::string clean_up_tokenization(std::string text);

}  // namespace transformers
