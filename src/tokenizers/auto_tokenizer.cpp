// PreTrainedTokenizerFast / AutoTokenizer: the transformers layer over a tokenizer.json.
#include "transformers/tokenizers/auto_tokenizer.hpp"

#include <nlohmann/json.hpp>

#include <set>

#include "transformers/core/error.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/hub/hub.hpp"
#include "transformers/io/json_file.hpp"
#include "transformers/tokenizers/gguf_tokenizer.hpp"

namespace transformers {

using nlohmann::json;

namespace {

json read_settings_file(const std::filesystem::path& p) {
  return io::read_json_file(p, {.what = "tokenizer settings file", .max_bytes = io::kConfigJsonMaxBytes});
}

// A special-token entry: "text", {"content": ...} or {"__type": "AddedToken", "content": ...}.
std::optional<AddedToken> token_entry(const json& v, const std::string& where) {
  if (v.is_null()) return std::nullopt;
  AddedToken t;
  t.special = true;
  t.normalized = false;
  if (v.is_string()) {
    t.content = v.get<std::string>();
    return t;
  }
  if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    t.content = v["content"].get<std::string>();
    auto flag = [&](const char* k, bool d) { return v.contains(k) && v[k].is_boolean() ? v[k].get<bool>() : d; };
    t.single_word = flag("single_word", false);
    t.lstrip = flag("lstrip", false);
    t.rstrip = flag("rstrip", false);
    t.normalized = flag("normalized", false);
    t.special = flag("special", true);
    return t;
  }
  throw FormatError(where + ": expected a token string or {\"content\": ...}");
}

const char* kTokenKeys[] = {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"};

}  // namespace

std::string clean_up_tokenization(std::string s) {
  auto rep = [&](std::string_view from, std::string_view to) {
    std::size_t pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
      s.replace(pos, from.size(), to);
      pos += to.size();
    }
  };
  rep(" .", ".");
  rep(" ?", "?");
  rep(" !", "!");
  rep(" ,", ",");
  rep(" ' ", "'");
  rep(" n't", "n't");
  rep(" 'm", "'m");
  rep(" 's", "'s");
  rep(" 've", "'ve");
  rep(" 're", "'re");
  return s;
}

PreTrainedTokenizerFast PreTrainedTokenizerFast::from_pretrained(const std::string& path,
                                                                 AutoTokenizerOptions options) {
  namespace fs = std::filesystem;
  // A file (tokenizer.json itself) stands for its folder. A folder answers folder/subfolder/name;
  // anything else is a Hub repo id, resolved through the cache (downloading unless offline) with
  // the same options as the model and config, as Python's cached_file.
  std::error_code ec;
  if (!options.gguf_file.empty()) {
    const fs::path g = fs::is_regular_file(path, ec) ? fs::path(path) : fs::path(path) / options.gguf_file;
    GGUFTokenizer gt = gguf_tokenizer(io::GGUFReader(g));
    PreTrainedTokenizerFast t(std::move(gt.tokenizer));
    t.tokenizer_json_ = gt.tokenizer_json.dump();
    t.bos_token = gt.bos_token, t.eos_token = gt.eos_token, t.unk_token = gt.unk_token, t.pad_token = gt.pad_token;
    t.chat_template = gt.chat_template;
    if (options.split_special_tokens) t.tokenizer_.set_encode_special_tokens(*options.split_special_tokens);
    t.tokenizer_json_current_ = true;
    t.added_tokens_at_load_ = t.tokenizer_.get_added_tokens().size();
    return t;
  }
  const std::string where = fs::is_regular_file(path, ec) ? fs::path(path).parent_path().string() : path;
  if (!fs::is_directory(where, ec) && fs::exists(where, ec))
    throw FileNotFoundError("tokenizer folder not found: " + path);
  auto file = [&](const std::string& name) -> std::optional<fs::path> {
    if (fs::is_directory(where, ec)) {
      // In a folder, whatever stands at the name goes to the reader, which refuses FIFOs and
      // devices with a typed error naming them (hub::resolve_file would skip them as absent).
      const fs::path p = fs::path(where) / options.hub.subfolder / name;
      return fs::exists(p, ec) ? std::optional(p) : std::nullopt;
    }
    if (auto p = hub::resolve_file(where, name, options.hub)) return fs::path(*p);
    return std::nullopt;
  };
  const auto tj = file("tokenizer.json");
  if (!tj)
    throw FileNotFoundError(path + ": no tokenizer.json (slow-tokenizer files such as vocab.txt, "
                            "merges.txt or tokenizer.model are not converted yet)");
  PreTrainedTokenizerFast t(Tokenizer::from_file(*tj));
  // kept as read, for save_pretrained (a regular file, bounded, as every JSON file we read)
  t.tokenizer_json_ = io::read_regular_file(*tj, io::kTokenizerJsonMaxBytes, "tokenizer file");
  bool backend_changed = false;  // by this load: tokenizer.json no longer describes the backend

  json cfg = json::object();
  const auto cfg_file = file("tokenizer_config.json");
  if (cfg_file) cfg = read_settings_file(*cfg_file);
  const std::string cfg_name = cfg_file ? cfg_file->string() : path + "/tokenizer_config.json";
  if (!cfg.is_object()) throw FormatError(cfg_name + ": expected an object");
  json stm = json::object();
  if (const auto stm_file = file("special_tokens_map.json")) {
    stm = read_settings_file(*stm_file);
    if (!stm.is_object()) throw FormatError(stm_file->string() + ": expected an object");
  }

  // Tokens listed in added_tokens_decoder that the tokenizer.json lacks are added.
  if (cfg.contains("added_tokens_decoder") && cfg["added_tokens_decoder"].is_object()) {
    std::vector<std::pair<int64_t, AddedToken>> extra;
    for (auto it = cfg["added_tokens_decoder"].begin(); it != cfg["added_tokens_decoder"].end(); ++it) {
      auto tok = token_entry(*it, cfg_name + ".added_tokens_decoder." + it.key());
      if (tok && !t.tokenizer_.token_to_id(tok->content)) extra.emplace_back(std::stoll(it.key()), *tok);
    }
    std::sort(extra.begin(), extra.end(), [](auto& a, auto& b) { return a.first < b.first; });
    std::vector<AddedToken> v;
    for (auto& e : extra) v.push_back(e.second);
    if (!v.empty()) t.tokenizer_.add_tokens(v);
    backend_changed |= !v.empty();
  }

  std::optional<std::string>* slots[] = {&t.bos_token, &t.eos_token, &t.unk_token, &t.sep_token,
                                         &t.pad_token, &t.cls_token, &t.mask_token};
  std::vector<AddedToken> specials;
  for (std::size_t i = 0; i < 7; ++i) {
    const char* k = kTokenKeys[i];
    std::optional<AddedToken> tok;
    if (cfg.contains(k)) tok = token_entry(cfg[k], cfg_name + "." + k);
    else if (stm.contains(k)) tok = token_entry(stm[k], "special_tokens_map.json." + std::string(k));
    if (tok) {
      *slots[i] = tok->content;
      specials.push_back(*tok);
    }
  }
  const json* extra = cfg.contains("additional_special_tokens") ? &cfg["additional_special_tokens"]
                      : cfg.contains("extra_special_tokens")    ? &cfg["extra_special_tokens"]
                      : stm.contains("additional_special_tokens") ? &stm["additional_special_tokens"]
                                                                  : nullptr;
  if (extra && extra->is_array()) {
    for (const auto& e : *extra) {
      auto tok = token_entry(e, cfg_name + ".additional_special_tokens");
      if (tok) {
        t.additional_special_tokens.push_back(tok->content);
        specials.push_back(*tok);
      }
    }
  }
  // Special tokens named in the config but absent from the tokenizer are added, as transformers does.
  std::vector<AddedToken> missing;
  for (const auto& s : specials)
    if (!t.tokenizer_.token_to_id(s.content)) missing.push_back(s);
  if (!missing.empty()) t.tokenizer_.add_tokens(missing);
  backend_changed |= !missing.empty();

  if (cfg.contains("model_max_length") && cfg["model_max_length"].is_number()) {
    double m = cfg["model_max_length"].get<double>();
    t.model_max_length = m >= 1e18 ? SIZE_MAX : static_cast<std::size_t>(cfg["model_max_length"].get<int64_t>());
  }
  auto side = [&](const char* k, std::string& out) {
    if (!cfg.contains(k) || cfg[k].is_null()) return;
    if (!cfg[k].is_string()) throw FormatError(cfg_name + "." + k + ": expected \"right\" or \"left\"");
    std::string v = cfg[k].get<std::string>();
    if (v != "right" && v != "left") throw FormatError(cfg_name + "." + k + ": expected \"right\" or \"left\", found \"" + v + "\"");
    out = v;
  };
  side("padding_side", t.padding_side);
  side("truncation_side", t.truncation_side);
  if (cfg.contains("clean_up_tokenization_spaces") && cfg["clean_up_tokenization_spaces"].is_boolean())
    t.clean_up_tokenization_spaces = cfg["clean_up_tokenization_spaces"].get<bool>();
  if (cfg.contains("tokenizer_class") && cfg["tokenizer_class"].is_string())
    t.tokenizer_class = cfg["tokenizer_class"].get<std::string>();
  if (cfg.contains("model_input_names") && !cfg["model_input_names"].is_null()) {
    const auto& names = cfg["model_input_names"];
    if (!names.is_array()) throw FormatError(cfg_name + ".model_input_names: expected a list of strings, found " + quote_input(names.dump()));
    for (const auto& n : names) {
      if (!n.is_string()) throw FormatError(cfg_name + ".model_input_names: expected a list of strings, found " + quote_input(names.dump()));
      t.model_input_names.push_back(n.get<std::string>());
    }
  }
  // chat_template.jinja, when present, clobbers the config's template (4.51's from_pretrained); the
  // config holds a string or a list of {"name", "template"}.
  if (const auto jinja = file("chat_template.jinja")) {
    t.chat_template = io::read_regular_file(*jinja, io::kConfigJsonMaxBytes, "chat template");
  } else if (cfg.contains("chat_template") && cfg["chat_template"].is_string()) {
    t.chat_template = cfg["chat_template"].get<std::string>();
  } else if (cfg.contains("chat_template") && cfg["chat_template"].is_array()) {
    for (const auto& e : cfg["chat_template"]) {
      if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || !e.contains("template") || !e["template"].is_string())
        throw FormatError(cfg_name + ".chat_template: expected a list of {\"name\": string, \"template\": string}, found " +
                          quote_input(e.dump()));
      t.chat_templates[e["name"].get<std::string>()] = e["template"].get<std::string>();
    }
  } else if (cfg.contains("chat_template") && !cfg["chat_template"].is_null()) {
    throw FormatError(cfg_name + ".chat_template: expected a string or a list of named templates, found " +
                      std::string(cfg["chat_template"].type_name()));
  }
  bool split_special = cfg.contains("split_special_tokens") && cfg["split_special_tokens"].is_boolean() &&
                       cfg["split_special_tokens"].get<bool>();
  if (options.split_special_tokens) split_special = *options.split_special_tokens;
  t.tokenizer_.set_encode_special_tokens(split_special);

  // Llama/Gemma-style fast tokenizers rebuild their template from add_bos_token/add_eos_token.
  static const std::set<std::string> kRebuild = {"LlamaTokenizer", "LlamaTokenizerFast", "CodeLlamaTokenizer",
                                                 "CodeLlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast"};
  bool has_flags = cfg.contains("add_bos_token") || cfg.contains("add_eos_token");
  if (has_flags && kRebuild.count(t.tokenizer_class)) {
    bool add_bos = cfg.value("add_bos_token", true);
    bool add_eos = cfg.value("add_eos_token", false);
    if (add_bos && !t.bos_token) throw ValueError(cfg_name + ": add_bos_token is true but bos_token is not set");
    if (add_eos && !t.eos_token) throw ValueError(cfg_name + ": add_eos_token is true but eos_token is not set");
    std::string single, pair;
    if (add_bos) single += *t.bos_token + ":0 ";
    single += "$A:0";
    if (add_eos) single += " " + *t.eos_token + ":0";
    pair = single;
    if (add_bos) pair += " " + *t.bos_token + ":1";
    pair += " $B:1";
    if (add_eos) pair += " " + *t.eos_token + ":1";
    std::vector<std::pair<std::string, int32_t>> st;
    if (add_bos) st.emplace_back(*t.bos_token, *t.tokenizer_.token_to_id(*t.bos_token));
    if (add_eos) st.emplace_back(*t.eos_token, *t.tokenizer_.token_to_id(*t.eos_token));
    t.tokenizer_.set_template_processing(single, pair, st);
    backend_changed = true;
  }
  t.init_config_ = cfg.dump();
  t.tokenizer_json_current_ = !backend_changed;
  t.added_tokens_at_load_ = t.tokenizer_.get_added_tokens().size();
  return t;
}

std::optional<int64_t> PreTrainedTokenizerFast::id_of(const std::optional<std::string>& tok) const {
  if (!tok) return std::nullopt;
  auto id = tokenizer_.token_to_id(*tok);
  if (!id) return std::nullopt;
  return *id;
}

namespace {
BatchEncoding batch_of(std::vector<Encoding> encs) {
  BatchEncoding out;
  for (const auto& e : encs) {
    out.input_ids.emplace_back(e.ids.begin(), e.ids.end());
    out.attention_mask.emplace_back(e.attention_mask.begin(), e.attention_mask.end());
    out.token_type_ids.emplace_back(e.type_ids.begin(), e.type_ids.end());
    out.special_tokens_mask.emplace_back(e.special_tokens_mask.begin(), e.special_tokens_mask.end());
    out.offset_mapping.push_back(e.offsets);
  }
  out.encodings = std::move(encs);
  return out;
}
}  // namespace

std::pair<std::optional<TruncationParams>, std::optional<PaddingParams>> PreTrainedTokenizerFast::backend_params(
    const TokenizerCallOptions& o) const {
  std::optional<TruncationParams> trunc;
  if (o.truncation) {
    TruncationParams p;
    std::size_t ml = o.max_length ? *o.max_length : model_max_length;
    p.max_length = ml;
    p.stride = o.stride;
    p.strategy = o.truncation_strategy;
    p.direction = truncation_side == "left" ? Direction::Left : Direction::Right;
    if (ml != SIZE_MAX) trunc = p;
  }
  std::optional<PaddingParams> pad;
  if (o.padding != Padding::DoNotPad) {
    auto pid = pad_token_id();
    if (!pid || !pad_token)
      throw ValueError("Asking to pad but the tokenizer does not have a padding token (set pad_token)");
    PaddingParams p;
    if (o.padding == Padding::MaxLength) {
      std::size_t ml = o.max_length ? *o.max_length : model_max_length;
      if (ml == SIZE_MAX) throw ValueError("padding='max_length' needs max_length or a finite model_max_length");
      p.length = ml;
    }
    std::string sidev = o.padding_side.value_or(padding_side);
    if (sidev != "left" && sidev != "right") throw ValueError("padding_side must be 'left' or 'right', got '" + sidev + "'");
    p.direction = sidev == "left" ? Direction::Left : Direction::Right;
    p.pad_to_multiple_of = o.pad_to_multiple_of;
    p.pad_id = static_cast<int32_t>(*pid);
    p.pad_type_id = 0;
    p.pad_token = *pad_token;
    pad = p;
  }
  return {trunc, pad};
}

BatchEncoding PreTrainedTokenizerFast::call_split_into_words(const std::vector<Tokenizer::Words>& rows,
                                                             const std::vector<Tokenizer::Words>* pairs,
                                                             TokenizerCallOptions o) const {
  const auto [trunc, pad] = backend_params(o);
  return batch_of(tokenizer_.encode_batch_words_with(rows, pairs, o.add_special_tokens, trunc, pad));
}

BatchEncoding PreTrainedTokenizerFast::run(const std::vector<std::string>* singles,
                                           const std::vector<std::pair<std::string, std::string>>* pairs,
                                           const TokenizerCallOptions& o) const {
  const auto [trunc, pad] = backend_params(o);
  std::vector<Encoding> encs;
  if (singles) {
    encs = tokenizer_.encode_batch_with(*singles, nullptr, o.add_special_tokens, trunc, pad);
  } else {
    std::vector<std::string> a, b;
    for (const auto& [x, y] : *pairs) {
      a.push_back(x);
      b.push_back(y);
    }
    encs = tokenizer_.encode_batch_with(a, &b, o.add_special_tokens, trunc, pad);
  }
  return batch_of(std::move(encs));
}

BatchEncoding PreTrainedTokenizerFast::operator()(const std::vector<std::string>& texts, TokenizerCallOptions o) const {
  return run(&texts, nullptr, o);
}

BatchEncoding PreTrainedTokenizerFast::operator()(std::string_view text, TokenizerCallOptions o) const {
  std::vector<std::string> v{std::string(text)};
  return run(&v, nullptr, o);
}

BatchEncoding PreTrainedTokenizerFast::operator()(const std::vector<std::pair<std::string, std::string>>& pairs,
                                                  TokenizerCallOptions o) const {
  return run(nullptr, &pairs, o);
}

std::vector<int64_t> PreTrainedTokenizerFast::encode(std::string_view text, TokenizerCallOptions o) const {
  return (*this)(text, o).input_ids.at(0);
}

std::vector<std::string> PreTrainedTokenizerFast::tokenize(std::string_view text, bool add_special_tokens) const {
  return tokenizer_.encode(text, {.add_special_tokens = add_special_tokens}).tokens;
}

std::string PreTrainedTokenizerFast::decode(const std::vector<int64_t>& ids, TokenizerDecodeOptions o) const {
  std::vector<int32_t> v;
  v.reserve(ids.size());
  for (int64_t id : ids) {
    if (id < 0 || id > INT32_MAX) continue;  // unknown ids are dropped, as the Rust decoder does
    v.push_back(static_cast<int32_t>(id));
  }
  std::string s = tokenizer_.decode(v, {.skip_special_tokens = o.skip_special_tokens});
  if (o.clean_up_tokenization_spaces.value_or(clean_up_tokenization_spaces)) s = clean_up_tokenization(std::move(s));
  return s;
}

std::vector<std::string> PreTrainedTokenizerFast::batch_decode(const std::vector<std::vector<int64_t>>& ids,
                                                               TokenizerDecodeOptions o) const {
  std::vector<std::string> out;
  for (const auto& v : ids) out.push_back(decode(v, o));
  return out;
}

std::optional<int64_t> PreTrainedTokenizerFast::convert_tokens_to_ids(std::string_view token) const {
  auto id = tokenizer_.token_to_id(token);
  if (!id) return std::nullopt;
  return *id;
}

std::optional<std::string> PreTrainedTokenizerFast::convert_ids_to_tokens(int64_t id) const {
  if (id < 0 || id > INT32_MAX) return std::nullopt;
  return tokenizer_.id_to_token(static_cast<int32_t>(id));
}

}  // namespace transformers
