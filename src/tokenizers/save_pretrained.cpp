// PreTrainedTokenizerFast::save_pretrained: the three files transformers 4.51 writes for a fast
// tokenizer (tokenizer_config.json, special_tokens_map.json, tokenizer.json), byte for byte.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "transformers/core/error.hpp"
#include "transformers/io/atomic_file.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace transformers {

namespace {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

const char* const kSpecialKeys[] = {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"};

// Python writes int(1e30), "no limit", as this integer; nlohmann cannot hold it, so a marker string
// stands in for it until the text is made.
const char* const kVeryLargeMarker = "\x01VERY_LARGE_INTEGER\x01";
const char* const kVeryLargeInteger = "1000000000000000019884624838656";

// json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n". nlohmann::json objects
// keep their keys sorted by bytes, which for UTF-8 is Python's code point order.
std::string dumps(const ordered& j) {
  std::string text = j.dump(2, ' ', /*ensure_ascii=*/false) + "\n";
  const std::string marker = ordered(kVeryLargeMarker).dump(-1, ' ', false);
  for (size_t at; (at = text.find(marker)) != std::string::npos;) text.replace(at, marker.size(), kVeryLargeInteger);
  return text;
}

// AddedToken.__getstate__ without "special" (special_tokens_map.json) or with it (added_tokens_decoder).
ordered token_state(const AddedToken& t, bool with_special) {
  ordered o = ordered::object();
  o["content"] = t.content;
  o["lstrip"] = t.lstrip;
  o["normalized"] = t.normalized;
  o["rstrip"] = t.rstrip;
  o["single_word"] = t.single_word;
  if (with_special) o["special"] = t.special;
  return o;
}

}  // namespace

std::string PreTrainedTokenizerFast::class_name() const {
  if (tokenizer_class.empty() || tokenizer_class == "TokenizersBackend" || tokenizer_class == "PreTrainedTokenizerFast" ||
      tokenizer_class == "PreTrainedTokenizer")
    return "PreTrainedTokenizerFast";  // what 4.51 loads a 5.x "TokenizersBackend" folder as
  const std::string fast = "Fast";
  const bool has_fast = tokenizer_class.size() > fast.size() &&
                        tokenizer_class.compare(tokenizer_class.size() - fast.size(), fast.size(), fast) == 0;
  return has_fast ? tokenizer_class : tokenizer_class + fast;  // AutoTokenizer's use_fast=True choice
}

std::vector<std::string> PreTrainedTokenizerFast::save_pretrained(const std::filesystem::path& folder,
                                                                  const std::string& class_name_override) const {
  const std::vector<AddedToken> added = tokenizer_.get_added_tokens();
  if (!tokenizer_json_current_ || added.size() != added_tokens_at_load_)
    throw UnsupportedError("save_pretrained into '" + folder.string() +
                           "': this tokenizer changed after its tokenizer.json was read (added tokens or a rebuilt "
                           "post-processor), and writing a changed tokenizer.json is not implemented yet");
  auto added_token = [&](const std::string& content) -> const AddedToken* {
    for (const auto& t : added)
      if (t.content == content) return &t;
    return nullptr;
  };
  std::string cls = class_name_override.empty() ? class_name() : class_name_override;
  if (cls.size() > 4 && cls.compare(cls.size() - 4, 4, "Fast") == 0) cls.resize(cls.size() - 4);

  // tokenizer_config.json: the loaded init kwargs, then the attributes 4.51 writes over them.
  json cfg = json::parse(init_config_);
  for (const char* k : {"added_tokens_decoder", "tokenizer_file", "name_or_path", "special_tokens_map_file", "vocab_file",
                        "merges_file", "device_map"})
    cfg.erase(k);
  cfg["model_max_length"] = model_max_length == SIZE_MAX ? json(kVeryLargeMarker) : json(model_max_length);
  cfg["clean_up_tokenization_spaces"] = clean_up_tokenization_spaces;
  if (!additional_special_tokens.empty()) cfg["additional_special_tokens"] = additional_special_tokens;
  const std::optional<std::string>* slots[] = {&bos_token, &eos_token, &unk_token, &sep_token, &pad_token, &cls_token, &mask_token};
  for (size_t i = 0; i < 7; ++i)
    if (*slots[i]) cfg[kSpecialKeys[i]] = **slots[i];
  if (!cfg.contains("extra_special_tokens")) cfg["extra_special_tokens"] = json::object();
  cfg["tokenizer_class"] = cls;
  cfg["added_tokens_decoder"] = nullptr;  // its place in the sorted keys; filled below
  ordered config = ordered::parse(cfg.dump());
  std::vector<const AddedToken*> by_id;
  for (const auto& t : added) by_id.push_back(&t);
  std::sort(by_id.begin(), by_id.end(), [](auto* a, auto* b) { return a->id < b->id; });  // int keys sort as ints
  ordered decoder = ordered::object();
  for (const auto* t : by_id) decoder[std::to_string(t->id)] = token_state(*t, /*with_special=*/true);
  config["added_tokens_decoder"] = decoder;

  // special_tokens_map.json: the special tokens as AddedToken states (a plain string when the
  // token is no added token), additional_special_tokens as a list of them.
  json stm = json::object();
  auto entry = [&](const std::string& content) {
    const AddedToken* t = added_token(content);
    return t ? json::parse(token_state(*t, false).dump()) : json(content);
  };
  for (size_t i = 0; i < 7; ++i)
    if (*slots[i]) stm[kSpecialKeys[i]] = entry(**slots[i]);
  if (!additional_special_tokens.empty()) {
    json list = json::array();
    for (const auto& s : additional_special_tokens) list.push_back(entry(s));
    stm["additional_special_tokens"] = list;
  }

  io::FolderSave save(folder);
  save.write("tokenizer_config.json", dumps(config));
  save.write("special_tokens_map.json", dumps(ordered::parse(stm.dump())));
  save.write("tokenizer.json", tokenizer_json_);
  save.commit();
  return save.staged_names();
}

}  // namespace transformers
