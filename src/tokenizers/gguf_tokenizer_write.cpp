// tokenizer.* metadata for a GGUF from a checkpoint folder's byte-level BPE tokenizer. Facts from
// llama.cpp's convert_hf_to_gguf.py (get_vocab_base, get_vocab_base_pre, _set_vocab_gpt2) and
// gguf-py's SpecialVocab / GGUFWriter (key names, value types, the order add_to_gguf writes them);
// held byte for byte to the file gguf-py writes by tests/oracle/make_gguf_tokenizer_writer.py.
#include "transformers/tokenizers/gguf_tokenizer_write.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "transformers/core/error.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/io/json_file.hpp"
#include "transformers/tokenizers/tokenizer.hpp"

namespace transformers {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

// gguf.TokenType values.
constexpr int32_t kNormal = 1, kControl = 3, kUserDefined = 4, kUnused = 5;

// The text convert_hf_to_gguf.py encodes (special tokens added) and hashes to name the pre-tokenizer.
constexpr const char* kCheckText =
    "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български ''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL";

// A few of get_vocab_base_pre's hashes (the byte-level BPE Llama-architecture ones we meet); any
// other hash writes "default" (llama.cpp's converter refuses it; its loader accepts "default" and
// pre-tokenizes with its GPT-2-style regex, so the file still runs, with a warning on the CLI).
const std::map<std::string, std::string>& known_pre() {
  static const std::map<std::string, std::string> table = {
      {"0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5", "llama-bpe"},
      {"855059429035d75a914d1eda9f10a876752e281a054a7a3d421ef0533e5b6249", "smollm"},
      {"3ce83efda5659b07b1ad37ca97ca5797ea4285d9b9ab0dc679e4a720c9da7454", "gpt-2"},
      {"e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea", "qwen2"},
      {"9d032fcbd5501f4a38150912590928bfb36091efb5df11b8e2124b0390e3fb1e", "falcon3"},
      {"d353350c764d8c3b39c763113960e4fb4919bea5fbf208a0e3b22e8469dc7406", "llama4"},
  };
  return table;
}

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr) != 1)
    throw EnvironmentError("OpenSSL: sha256 failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) out += {hex[md[i] >> 4], hex[md[i] & 15]};
  return out;
}

// Python's str(list_of_ints): "[1, 2, 3]".
std::string python_list(const std::vector<int32_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
  return s + "]";
}

bool starts_ends(const std::string& t, std::string_view a, std::string_view b) {
  return t.size() >= a.size() + b.size() && t.compare(0, a.size(), a) == 0 &&
         t.compare(t.size() - b.size(), b.size(), b) == 0;
}

// convert_hf_to_gguf.py's does_token_look_special: added tokens that ought to be CONTROL.
bool looks_special(const std::string& t) {
  return t == "<pad>" || t == "<mask>" || t == "<2mass>" || t == "[@BOS@]" || starts_ends(t, "<|", "|>") ||
         starts_ends(t, "<\xEF\xBD\x9C", "\xEF\xBD\x9C>") || starts_ends(t, "<unused", ">");
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

// Python truthiness of a JSON value (None, "", {}, [], 0, false are false).
bool truthy(const json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string() || v.is_object() || v.is_array()) return !v.empty();
  if (v.is_number()) return v.get<double>() != 0;
  return true;
}

// gguf-py's SpecialVocab(path, load_merges=True) for a folder with tokenizer.json.
struct SpecialVocab {
  std::vector<std::string> merges;
  std::vector<std::pair<std::string, int64_t>> ids;   // insertion order, as its dict
  std::vector<std::pair<std::string, bool>> add;      // insertion order
  json chat_template;                                 // null, a string or a list
  std::vector<std::string> types = {"bos", "eos", "unk", "sep", "pad", "cls", "mask"};

  void set_add(const std::string& typ, bool v) {
    for (auto& [k, x] : add)
      if (k == typ) return void(x = v);
    add.emplace_back(typ, v);
  }
  std::optional<int64_t> n_vocab;  // SpecialVocab(n_vocab=…): ids at or above it are left out

  void set_id(const std::string& typ, const json& tid, const std::string& file) {
    if (!tid.is_number_integer()) return;
    const int64_t id = tid.get<int64_t>();
    if (id < 0 || id > int64_t(UINT32_MAX))  // gguf-py raises for a negative id; GGUF stores a uint32
      throw ValueError(file + ": invalid value for special token type " + typ + ": expected an id in [0, 2^32), found " +
                       std::to_string(id));
    if (n_vocab && id >= *n_vocab) return;
    for (const auto& [k, x] : ids)
      if (k == typ) return;
    ids.emplace_back(typ, id);
  }
};

std::vector<std::string> merges_of(const json& merges, const std::string& file) {
  std::vector<std::string> out;
  if (!merges.is_array() || merges.empty()) return out;
  if (merges[0].is_string()) {
    for (const auto& m : merges) out.push_back(m.is_string() ? m.get<std::string>() : std::string());
    return out;
  }
  if (!(merges[0].is_array() && merges[0].size() == 2 && merges[0][0].is_string()))
    throw FormatError(file + ": model.merges: expected strings or pairs of strings, found " + quote_input(merges[0].dump()));
  // pairs (tokenizers >= 0.20): joined by a space, spaces inside a part written as U+0120
  for (const auto& pair : merges) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string())
      throw FormatError(file + ": model.merges: expected a pair of strings, found " + quote_input(pair.dump()));
    out.push_back(replace_all(pair[0].get<std::string>(), " ", "\xC4\xA0") + " " +
                  replace_all(pair[1].get<std::string>(), " ", "\xC4\xA0"));
  }
  return out;
}


// SpecialVocab._try_load_from_tokenizer_json's crude reading of the post-processor.
void read_post_processor(SpecialVocab& sv, const json& tok, json& tc, json& bos, json& cls, json& eos, json& sep) {
  const json pp = tok.value("post_processor", json());
  if (!truthy(pp) || !pp.is_object()) return;
  const json procs = pp.contains("processors") ? pp["processors"] : json::array({pp});
  for (const auto& proc : procs) {
    if (!proc.is_object()) continue;
    const std::string type = proc.value("type", std::string());
    if (type == "RobertaProcessing") {
      sv.set_add("bos", true), sv.set_add("eos", true), sv.set_add("sep", true);
      if (!truthy(cls) && truthy(tc)) tc["cls_token"] = cls = proc.value("cls", json::array({bos}))[0];
      if (!truthy(sep) && truthy(tc)) tc["sep_token"] = sep = proc.value("sep", json::array({eos}))[0];
      continue;
    }
    if (type != "TemplateProcessing") continue;
    json single = proc.value("single", json::array()), pair_t = proc.value("pair", json::array());
    if (!single.is_array()) single = json::array();
    if (!pair_t.is_array()) pair_t = json::array();
    auto special_id = [](const json& item) {
      return item.is_object() && item.contains("SpecialToken") ? item["SpecialToken"].value("id", json()) : json();
    };
    json first, last;
    if (single.size() > 1) {
      first = special_id(single.front());
      if (truthy(first)) {
        if (!truthy(tc)) bos = first;
        sv.set_add("bos", first == bos || first == cls);
      }
      last = special_id(single.back());
      if (truthy(last)) {
        if (!truthy(tc)) {
          eos = last;
        } else if (last != eos) {
          // the eos the config names becomes eot (or eom) and the template's last token the eos
          const bool has_eot = std::find(sv.types.begin(), sv.types.end(), "eot") != sv.types.end();
          const bool has_eom = std::find(sv.types.begin(), sv.types.end(), "eom") != sv.types.end();
          if (!has_eot) sv.types.push_back("eot"), tc["eot_token"] = eos;
          else if (!has_eom) sv.types.push_back("eom"), tc["eom_token"] = eos;
          tc["eos_token"] = eos = last;
        }
        sv.set_add("eos", last == eos);
      }
    }
    if (pair_t.empty()) continue;
    const size_t start = truthy(first) && !pair_t.empty() && special_id(pair_t.front()) == first ? 1 : 0;
    const bool stop = truthy(last) && special_id(pair_t.back()) == last;
    const size_t end = pair_t.size() - (stop ? 1 : 0);
    if (start >= end) continue;
    std::vector<json> mid(pair_t.begin() + start, pair_t.begin() + end);
    auto seq_id = [](const json& item) {
      return item.is_object() && item.contains("Sequence") ? item["Sequence"].value("id", json()) : json();
    };
    if (seq_id(mid.front()) != "A" || seq_id(mid.back()) != "B" || mid.size() <= 2) continue;
    mid = std::vector<json>(mid.begin() + 1, mid.end() - 1);  // A [sep] [eos] B
    bool add_sep = false;
    const json e0 = special_id(mid[0]);
    if (truthy(e0) && (e0 == sep || e0 == eos) && !truthy(last)) add_sep = true;
    if (mid.size() == 2) {
      const json e1 = special_id(mid[1]);
      if (truthy(e1) && (e1 == sep || e1 == eos)) add_sep = true;
    }
    sv.set_add("sep", add_sep);
    if (add_sep && !truthy(sep) && truthy(tc)) tc["sep_token"] = eos;
  }
}

// load_merges: gguf-py's SpecialVocab(load_merges=…); n_vocab: its n_vocab.
SpecialVocab special_vocab(const std::filesystem::path& dir, const json& tok, bool load_merges = true,
                           std::optional<int64_t> n_vocab = std::nullopt) {
  SpecialVocab sv;
  sv.n_vocab = n_vocab;
  const std::string tok_file = (dir / "tokenizer.json").string();
  if (load_merges) sv.merges = merges_of(tok.contains("model") ? tok["model"].value("merges", json()) : json(), tok_file);
  const json added = tok.value("added_tokens", json::array());
  json tc;  // null: no tokenizer_config.json
  const auto tc_path = dir / "tokenizer_config.json";
  if (std::filesystem::is_regular_file(tc_path)) tc = io::read_json_file(tc_path, {.what = "tokenizer config"});
  auto get = [&](const char* k) { return tc.is_object() ? tc.value(k, json()) : json(); };
  json bos = get("bos_token"), cls = get("cls_token"), eos = get("eos_token"), sep = get("sep_token");
  if (!truthy(bos) && truthy(cls) && truthy(tc)) tc["bos_token"] = bos = cls;
  if (!truthy(eos) && truthy(sep) && truthy(tc)) tc["eos_token"] = eos = sep;
  read_post_processor(sv, tok, tc, bos, cls, eos, sep);
  if (truthy(tc) && tc.is_object()) {
    json alt;
    if (std::filesystem::is_regular_file(dir / "chat_template.jinja"))
      alt = io::read_regular_file(dir / "chat_template.jinja", io::kConfigJsonMaxBytes, "chat template");
    else if (std::filesystem::is_regular_file(dir / "chat_template.json"))
      alt = io::read_json_file(dir / "chat_template.json", {.what = "chat template"}).value("chat_template", json());
    const json ct = tc.contains("chat_template") ? tc["chat_template"] : alt;
    if (ct.is_null() || ct.is_string() || ct.is_array()) sv.chat_template = ct;
    for (const auto& typ : std::vector<std::string>(sv.types)) {
      const json a = tc.value("add_" + typ + "_token", json());
      if (a.is_boolean()) sv.set_add(typ, a.get<bool>());
      const json entry = tc.value(typ + "_token", json());
      std::string content;
      if (entry.is_string()) content = entry.get<std::string>();
      else if (entry.is_object() && entry.value("content", json()).is_string()) content = entry["content"].get<std::string>();
      else continue;
      json id;
      for (const auto& t : added)
        if (t.is_object() && t.value("content", json()) == content) {
          id = t.value("id", json());
          break;
        }
      sv.set_id(typ, id, tc_path.string());
    }
  }
  const auto cfg_path = dir / "config.json";
  if (std::filesystem::is_regular_file(cfg_path)) {
    const json cfg = io::read_json_file(cfg_path, {.what = "config file"});
    for (const auto& typ : std::vector<std::string>(sv.types)) {
      json id = cfg.value(typ + "_token_id", json());
      if (id.is_null() && cfg.contains("text_config") && cfg["text_config"].is_object())
        id = cfg["text_config"].value(typ + "_token_id", json());
      sv.set_id(typ, id, cfg_path.string());
    }
  }
  return sv;
}

// GGUFWriter.add_chat_template: a string, or a list of {name, template} (named ones under
// tokenizer.chat_template.<name> and listed in tokenizer.chat_templates, "default" as the template).
void add_chat_template(io::GGUFWriter& w, const json& value) {
  if (value.is_string()) return w.add_string("tokenizer.chat_template", value.get<std::string>());
  std::optional<std::string> deflt;
  std::vector<std::string> names;
  for (const auto& choice : value) {
    if (!choice.is_object()) continue;
    std::string name = choice.value("name", std::string());
    const json tmpl = choice.value("template", json());
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    if (name.empty() || !tmpl.is_string()) continue;
    if (name == "default") {
      deflt = tmpl.get<std::string>();
    } else {
      w.add_string("tokenizer.chat_template." + name, tmpl.get<std::string>());
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  if (!names.empty()) w.add_strings("tokenizer.chat_templates", names);
  if (deflt) w.add_string("tokenizer.chat_template", *deflt);
}

// A BPE with byte fallback and a Sequence decoder: what gguf-py's LlamaHfVocab accepts (llama.cpp's
// converter writes it as tokenizer.ggml.model "llama").
bool is_llama_hf(const json& tok) {
  const json model = tok.value("model", json::object());
  const json decoder = tok.value("decoder", json());
  return model.is_object() && model.value("type", std::string()) == "BPE" && model.value("byte_fallback", false) &&
         decoder.is_object() && decoder.value("type", std::string()) == "Sequence";
}

// SpecialVocab.add_to_gguf after the merges: special token ids, add_*_token flags, chat template.
void add_special_keys(io::GGUFWriter& w, const SpecialVocab& sv) {
  static const std::map<std::string, std::string> id_key = {
      {"bos", "bos_token_id"}, {"eos", "eos_token_id"}, {"unk", "unknown_token_id"}, {"sep", "seperator_token_id"},
      {"pad", "padding_token_id"}, {"mask", "mask_token_id"}, {"eot", "eot_token_id"}, {"eom", "eom_token_id"}};
  for (const auto& [typ, id] : sv.ids)  // gguf-py has no handler for cls: skipped as it skips it
    if (auto k = id_key.find(typ); k != id_key.end()) w.add_uint32("tokenizer.ggml." + k->second, uint32_t(id));
  for (const auto& [typ, v] : sv.add)  // handlers exist for bos, eos, sep only
    if (typ == "bos" || typ == "eos" || typ == "sep") w.add_bool("tokenizer.ggml.add_" + typ + "_token", v);
  if (!sv.chat_template.is_null()) add_chat_template(w, sv.chat_template);
}

// The kind of tokenizer llama.cpp's Llama converter would write as "gpt2" and our reader reads.
std::string unsupported_reason(const std::filesystem::path& dir, const json& tok) {
  if (std::filesystem::exists(dir / "tokenizer.model"))
    return "a SentencePiece tokenizer.model without a byte-fallback BPE tokenizer.json (llama.cpp reads the "
           ".model's pieces and scores; not written yet)";
  const json model = tok.value("model", json::object());
  if (model.value("type", std::string()) != "BPE")
    return "tokenizer.json's model is '" + model.value("type", std::string()) + "', not byte-level BPE";
  if (model.value("byte_fallback", false))
    return "tokenizer.json's BPE has byte_fallback but its decoder is not a Sequence (llama.cpp's LlamaHfVocab "
           "refuses it)";
  const std::string pre = tok.value("pre_tokenizer", json()).dump();
  if (pre.find("\"ByteLevel\"") == std::string::npos) return "tokenizer.json has no ByteLevel pre-tokenizer";
  return "";
}

// The text of a tokenizer_config.json token entry: a string or an AddedToken dict's "content".
std::optional<std::string> token_content(const json& entry) {
  if (entry.is_string()) return entry.get<std::string>();
  if (entry.is_object() && entry.value("content", json()).is_string()) return entry["content"].get<std::string>();
  return std::nullopt;
}

// tokenizer.ggml.model "llama" from a byte-fallback BPE tokenizer.json: llama.cpp's
// _set_vocab_llama_hf (gguf-py's LlamaHfVocab: the model's vocabulary in id order, then added
// tokens above it; <0xXX> BYTE, the tokenizer's special tokens CONTROL, other added tokens
// USER_DEFINED, the rest NORMAL; pre "default"; SpecialVocab(n_vocab, load_merges=False)), padded
// to vocab_size with "[PAD{i}]" UNUSED as its SentencePiece path pads. One deliberate difference:
// LlamaHfVocab writes -1000 for every score, which leaves llama.cpp's SPM tokenizer (it merges the
// adjacent pair whose result scores highest) no merge order. We write the BPE's own order as the
// scores: -(k + 1) for the token merge k produces; 0 for BYTE and CONTROL tokens (SentencePiece's
// convention); below every merge, in id order, for tokens no merge produces; -1000 for padding.
// 4.51's GGUF reader rebuilds its merges from these scores (GGUFTokenizerSkeleton), so it gives
// the original tokenizer's ids (tests/oracle/make_gguf_tokenizer_spm.py).
GGUFTokenizerWritten add_llama_vocab(io::GGUFWriter& w, const std::filesystem::path& dir, const json& tok,
                                     int64_t vocab_size) {
  constexpr int32_t kByte = 6;
  const std::string tok_file = (dir / "tokenizer.json").string();
  const json& model = tok["model"];
  const json vocab = model.value("vocab", json::object());
  std::map<int64_t, std::string> by_id;
  for (const auto& [t, id] : vocab.items())
    if (id.is_number_integer()) by_id[id.get<int64_t>()] = t;
  const int64_t n_base = int64_t(vocab.size());  // 4.51's tokenizer.vocab_size (added tokens left out)
  std::map<int64_t, std::string> added;            // added tokens above the base vocabulary
  std::map<std::string, int64_t> ids;              // get_vocab(): every token, added ones included
  for (const auto& [id, t] : by_id) ids[t] = id;
  for (const auto& a : tok.value("added_tokens", json::array())) {
    if (!a.is_object() || !a.value("id", json()).is_number_integer() || !a.value("content", json()).is_string()) continue;
    const int64_t id = a["id"].get<int64_t>();
    ids[a["content"].get<std::string>()] = id;
    if (id >= n_base) added[id] = a["content"].get<std::string>();
  }
  // all_special_ids: the tokenizer_config's named special tokens and additional_special_tokens
  std::set<int64_t> special;
  const auto tc_path = dir / "tokenizer_config.json";
  if (std::filesystem::is_regular_file(tc_path)) {
    const json tc = io::read_json_file(tc_path, {.what = "tokenizer config"});
    std::vector<json> entries;
    for (const char* k : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"})
      entries.push_back(tc.value(k, json()));
    for (const auto& e : tc.value("additional_special_tokens", json::array())) entries.push_back(e);
    for (const auto& e : entries)
      if (const auto c = token_content(e); c && ids.count(*c)) special.insert(ids[*c]);
  }
  // merge ranks: the token each merge makes, first merge first
  std::map<std::string, int64_t> rank;
  const json merges = model.value("merges", json::array());
  for (size_t k = 0; k < merges.size(); ++k) {
    const json& m = merges[k];
    std::string made;
    if (m.is_string()) {
      const std::string p = m.get<std::string>();
      const size_t sp = p.find(' ');
      if (sp == std::string::npos) throw FormatError(tok_file + ": model.merges[" + std::to_string(k) + "]: expected \"a b\", found " + quote_input(p));
      made = p.substr(0, sp) + p.substr(sp + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      made = m[0].get<std::string>() + m[1].get<std::string>();
    } else {
      throw FormatError(tok_file + ": model.merges[" + std::to_string(k) + "]: expected a string or a pair of strings, found " + quote_input(m.dump()));
    }
    rank.emplace(made, int64_t(k));
  }
  const int64_t n_merges = int64_t(merges.size());
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  auto push = [&](int64_t id, const std::string& t, bool base) {
    const bool is_byte = t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' &&
                         std::isxdigit(static_cast<unsigned char>(t[3])) && std::isxdigit(static_cast<unsigned char>(t[4]));
    const int32_t type = is_byte && base ? kByte : special.count(id) ? kControl : base ? kNormal : kUserDefined;
    const auto r = rank.find(t);
    float score = 0.0f;
    if (type == kNormal || type == kUserDefined)
      score = r != rank.end() ? -float(r->second + 1) : -float(n_merges + 1 + id);
    tokens.push_back(t), scores.push_back(score), types.push_back(type);
  };
  for (int64_t id = 0; id < n_base; ++id) {
    const auto it = by_id.find(id);
    if (it == by_id.end())
      throw FormatError(tok_file + ": model.vocab has " + std::to_string(n_base) + " tokens but no token with id " +
                        std::to_string(id));
    push(id, it->second, true);
  }
  for (const auto& [id, t] : added) {
    if (id != int64_t(tokens.size()))
      throw FormatError(tok_file + ": added token " + quote_input(t) + " has id " + std::to_string(id) + ", expected " +
                        std::to_string(tokens.size()) + " (ids must follow the vocabulary without gaps)");
    push(id, t, false);
  }
  if (int64_t(tokens.size()) > vocab_size)
    throw ValueError(tok_file + ": token ids must lie in [0, vocab_size " + std::to_string(vocab_size) + "), found " +
                     std::to_string(tokens.size() - 1));
  for (int64_t i = int64_t(tokens.size()); i < vocab_size; ++i)
    tokens.push_back("[PAD" + std::to_string(i) + "]"), scores.push_back(-1000.0f), types.push_back(kUnused);

  const SpecialVocab sv = special_vocab(dir, tok, /*load_merges=*/false, int64_t(tokens.size()));
  w.add_string("tokenizer.ggml.model", "llama");
  w.add_string("tokenizer.ggml.pre", "default");
  w.add_strings("tokenizer.ggml.tokens", tokens);
  w.add_float32s("tokenizer.ggml.scores", scores);
  w.add_int32s("tokenizer.ggml.token_type", types);
  add_special_keys(w, sv);
  GGUFTokenizerWritten r;
  r.written = true;
  r.pre = "default";
  r.pre_known = true;  // llama.cpp's converter names no other pre-tokenizer for this kind
  return r;
}

GGUFTokenizerWritten add_tokenizer(io::GGUFWriter& w, const std::filesystem::path& dir, int64_t vocab_size) {
  GGUFTokenizerWritten r;
  const auto tok_path = dir / "tokenizer.json";
  if (!std::filesystem::is_regular_file(tok_path)) {
    r.reason = "no tokenizer.json in '" + dir.string() + "'";
    return r;
  }
  const std::string text = io::read_regular_file(tok_path, 1ull << 30, "tokenizer file");
  const json tok = io::parse_json(text, tok_path.string(), {.what = "tokenizer file", .max_bytes = 1ull << 30});
  if (is_llama_hf(tok)) return add_llama_vocab(w, dir, tok, vocab_size);
  r.reason = unsupported_reason(dir, tok);
  if (!r.reason.empty()) return r;

  // get_vocab_base: id -> token over the vocabulary and the added tokens, then the added ones' types.
  const Tokenizer tokenizer = [&] {
    try {
      return Tokenizer::from_str(text);
    } catch (const FormatError& e) {  // its message names the field, not the file
      throw FormatError(tok_path.string() + ": " + e.what());
    }
  }();
  std::map<int64_t, std::string> reverse;
  std::map<std::string, std::pair<int64_t, bool>> added;  // content -> (id, special)
  const json vocab = tok["model"].value("vocab", json::object());  // items() must not outlive it
  for (const auto& [t, id] : vocab.items())
    if (id.is_number_integer()) reverse[id.get<int64_t>()] = t;
  const json added_tokens = tok.value("added_tokens", json::array());
  for (const auto& a : added_tokens) {
    if (!a.is_object() || !a.value("id", json()).is_number_integer() || !a.value("content", json()).is_string()) continue;
    const int64_t id = a["id"].get<int64_t>();
    reverse[id] = a["content"].get<std::string>();
    added[a["content"].get<std::string>()] = {id, a.value("special", false)};
  }
  if (!reverse.empty() && (reverse.begin()->first < 0 || reverse.rbegin()->first >= vocab_size))
    throw ValueError(tok_path.string() + ": token ids must lie in [0, vocab_size " + std::to_string(vocab_size) +
                     "), found " + std::to_string(reverse.begin()->first < 0 ? reverse.begin()->first
                                                                           : reverse.rbegin()->first));
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  tokens.reserve(size_t(vocab_size)), types.reserve(size_t(vocab_size));
  for (int64_t i = 0; i < vocab_size; ++i) {
    const auto it = reverse.find(i);
    if (it == reverse.end()) {
      tokens.push_back("[PAD" + std::to_string(i) + "]"), types.push_back(kUnused);
      continue;
    }
    std::string t = it->second;
    const auto a = added.find(t);
    if (a == added.end()) {
      types.push_back(kNormal);
    } else if (a->second.second || looks_special(t)) {
      types.push_back(kControl);
    } else {
      t = replace_all(t, "\xE2\x96\x81", " ");  // user-defined tokens pre-normalised (SPM's U+2581)
      types.push_back(kUserDefined);
    }
    tokens.push_back(std::move(t));
  }

  r.chkhsh = sha256_hex(python_list(tokenizer.encode(kCheckText, {.add_special_tokens = true}).ids));
  const auto known = known_pre().find(r.chkhsh);
  r.pre_known = known != known_pre().end();
  r.pre = r.pre_known ? known->second : "default";

  const SpecialVocab sv = special_vocab(dir, tok);
  w.add_string("tokenizer.ggml.model", "gpt2");
  w.add_string("tokenizer.ggml.pre", r.pre);
  w.add_strings("tokenizer.ggml.tokens", tokens);
  w.add_int32s("tokenizer.ggml.token_type", types);
  if (!sv.merges.empty()) w.add_strings("tokenizer.ggml.merges", sv.merges);
  add_special_keys(w, sv);
  r.written = true;
  return r;
}

}  // namespace

GGUFTokenizerWritten add_gguf_tokenizer(io::GGUFWriter& w, const std::filesystem::path& dir, int64_t vocab_size) {
  try {
    return add_tokenizer(w, dir, vocab_size);
  } catch (const nlohmann::json::exception& e) {  // a field of tokenizer.json / tokenizer_config.json of an unexpected type
    throw FormatError("tokenizer files in '" + dir.string() + "': expected the fields tokenizers writes, found: " +
                      e.what());
  }
}

GGUFTokenizerWritten copy_gguf_tokenizer(io::GGUFWriter& w, const io::GGUFReader& src) {
  using T = io::GGUFType;
  GGUFTokenizerWritten r;
  for (const std::string& key : src.field_keys()) {
    if (key.rfind("tokenizer.", 0) != 0) continue;
    const io::GGUFValue& v = src.field(key);
    switch (v.type) {
      case T::UInt8: w.add_uint8(key, uint8_t(v.as_int(key))); break;
      case T::Int8: w.add_int8(key, int8_t(v.as_int(key))); break;
      case T::UInt16: w.add_uint16(key, uint16_t(v.as_int(key))); break;
      case T::Int16: w.add_int16(key, int16_t(v.as_int(key))); break;
      case T::UInt32: w.add_uint32(key, uint32_t(v.as_int(key))); break;
      case T::Int32: w.add_int32(key, int32_t(v.as_int(key))); break;
      case T::UInt64: w.add_uint64(key, uint64_t(v.as_int(key))); break;
      case T::Int64: w.add_int64(key, v.as_int(key)); break;
      case T::Float32: w.add_float32(key, float(v.as_float(key))); break;
      case T::Float64: w.add_float64(key, v.as_float(key)); break;
      case T::Bool: w.add_bool(key, v.as_bool(key)); break;
      case T::String: w.add_string(key, v.as_string(key)); break;
      case T::Array:
        if (v.element_type == T::String) {
          w.add_strings(key, src.get_strings(key));
        } else if (v.element_type == T::Int32 || v.element_type == T::Float32) {
          std::vector<int32_t> ints;
          std::vector<float> floats;
          for (const io::GGUFValue& e : v.elements())
            v.element_type == T::Int32 ? ints.push_back(int32_t(e.as_int(key))) : floats.push_back(float(e.as_float(key)));
          v.element_type == T::Int32 ? w.add_int32s(key, ints) : w.add_float32s(key, floats);
        } else {
          throw UnsupportedError("GGUF file '" + src.path() + "': " + key + ": arrays of " +
                                 std::string(io::gguf_type_name(v.element_type)) +
                                 " are not carried over (expected strings, int32 or float32)");
        }
        break;
    }
    r.written = true;
  }
  if (!r.written) r.reason = "the source GGUF has no tokenizer.* metadata";
  if (src.find("tokenizer.ggml.pre")) r.pre = src.get_string("tokenizer.ggml.pre");
  r.pre_known = true;  // carried as the source names it
  return r;
}

}  // namespace transformers
