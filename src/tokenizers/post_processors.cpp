// Post-processors: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence.
#include <map>

#include "tokenizers/components.hpp"
#include "tokenizers/unicode.hpp"
#include "transformers/core/error.hpp"

namespace transformers::tokenizers_detail {

namespace {

Encoding special_encoding(const std::vector<int32_t>& ids, const std::vector<std::string>& tokens, int32_t type_id) {
  Encoding e;
  std::size_t n = ids.size();
  e.ids = ids;
  e.tokens = tokens;
  e.type_ids.assign(n, type_id);
  e.offsets.assign(n, {0, 0});
  e.word_ids.assign(n, -1);
  e.sequence_ids.assign(n, -1);
  e.special_tokens_mask.assign(n, 1);
  e.attention_mask.assign(n, 1);
  return e;
}

// Moves the offsets of tokens that start or end with spaces ('Ġ' or whitespace) inwards.
void trim_offsets(Encoding& e, bool add_prefix_space) {
  for (std::size_t i = 0; i < e.tokens.size(); ++i) {
    const std::string& t = e.tokens[i];
    std::u32string cs;
    for (std::size_t k = 0; k < t.size();) cs.push_back(next_cp(t, k));
    auto is_sp = [](char32_t c) { return c == 0x120 || is_whitespace(c); };
    std::size_t lead = 0, trail = 0;
    while (lead < cs.size() && is_sp(cs[lead])) ++lead;
    while (trail < cs.size() && is_sp(cs[cs.size() - 1 - trail])) ++trail;
    auto& [s, en] = e.offsets[i];
    if (lead > 0) {
      bool is_first = i == 0 || s == 0;
      if (is_first && add_prefix_space && lead == 1) lead = 0;
      s = std::min(s + lead, en);
    }
    if (trail > 0 && en >= trail) en = std::max(en - trail, s);
  }
  for (auto& o : e.overflowing) trim_offsets(o, add_prefix_space);
}

class ByteLevelPost : public PostProcessor {
 public:
  ByteLevelPost(bool trim, bool add_prefix_space) : trim_(trim), add_prefix_space_(add_prefix_space) {}
  std::size_t added_tokens(bool) const override { return 0; }
  void process(std::vector<Encoding>& encs, bool) const override {
    if (!trim_) return;
    for (auto& e : encs) trim_offsets(e, add_prefix_space_);
  }

 private:
  bool trim_, add_prefix_space_;
};

struct TemplatePiece {
  bool is_sequence;
  std::string id;  // "A"/"B" or the special token name
  int32_t type_id;
};
struct SpecialEntry {
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;
};

class Template : public PostProcessor {
 public:
  std::vector<TemplatePiece> single, pair;
  std::map<std::string, SpecialEntry> specials;

  std::size_t count(const std::vector<TemplatePiece>& t) const {
    std::size_t n = 0;
    for (const auto& p : t)
      if (!p.is_sequence) n += specials.at(p.id).ids.size();
    return n;
  }
  std::size_t added_tokens(bool is_pair) const override { return count(is_pair ? pair : single); }
  void process(std::vector<Encoding>& encs, bool add_special) const override {
    const auto& t = encs.size() == 2 ? pair : single;
    std::vector<Encoding> out;
    for (const auto& p : t) {
      if (p.is_sequence) {
        std::size_t i = p.id == "A" ? 0 : 1;
        if (i >= encs.size()) continue;
        Encoding e = encs[i];
        e.set_type_ids(p.type_id);
        e.set_sequence_id(static_cast<int32_t>(i));
        out.push_back(std::move(e));
      } else if (add_special) {
        const SpecialEntry& s = specials.at(p.id);
        out.push_back(special_encoding(s.ids, s.tokens, p.type_id));
      }
    }
    encs = std::move(out);
  }
};

// BertProcessing and RobertaProcessing: [cls] A [sep] ([sep]) B [sep].
class ClsSep : public PostProcessor {
 public:
  std::string cls_tok, sep_tok;
  int32_t cls_id, sep_id;
  bool roberta;
  bool trim = false, add_prefix_space = false;
  std::size_t added_tokens(bool is_pair) const override { return is_pair ? (roberta ? 4 : 3) : 2; }
  void process(std::vector<Encoding>& encs, bool add_special) const override {
    if (roberta && trim)
      for (auto& e : encs) trim_offsets(e, add_prefix_space);
    if (!add_special) {
      if (encs.size() == 2 && !roberta) encs[1].set_type_ids(1);
      for (std::size_t i = 0; i < encs.size(); ++i) encs[i].set_sequence_id(static_cast<int32_t>(i));
      return;
    }
    std::vector<Encoding> out;
    out.push_back(special_encoding({cls_id}, {cls_tok}, 0));
    encs[0].set_type_ids(0);
    encs[0].set_sequence_id(0);
    out.push_back(encs[0]);
    out.push_back(special_encoding({sep_id}, {sep_tok}, 0));
    if (encs.size() == 2) {
      int32_t tb = roberta ? 0 : 1;
      if (roberta) out.push_back(special_encoding({sep_id}, {sep_tok}, 0));
      encs[1].set_type_ids(tb);
      encs[1].set_sequence_id(1);
      out.push_back(encs[1]);
      out.push_back(special_encoding({sep_id}, {sep_tok}, tb));
    }
    encs = std::move(out);
  }
};

class SequencePost : public PostProcessor {
 public:
  std::vector<std::unique_ptr<PostProcessor>> v;
  std::size_t added_tokens(bool is_pair) const override {
    std::size_t n = 0;
    for (const auto& p : v) n += p->added_tokens(is_pair);
    return n;
  }
  void process(std::vector<Encoding>& encs, bool add_special) const override {
    for (const auto& p : v) p->process(encs, add_special);
  }
};

std::pair<std::string, int32_t> parse_tok_pair(const json& j, const char* key, const std::string& where) {
  const json& v = field(j, key, where);
  if (!v.is_array() || v.size() != 2 || !v[0].is_string() || !v[1].is_number_integer())
    throw FormatError(where + "." + key + ": expected [token, id]");
  return {v[0].get<std::string>(), static_cast<int32_t>(v[1].get<int64_t>())};
}

std::vector<TemplatePiece> parse_template(const json& j, const std::string& where) {
  std::vector<TemplatePiece> out;
  auto parse_piece_str = [&](const std::string& s) {
    // String shorthand "[CLS]:0" or "$A:1".
    std::string name = s;
    int32_t type_id = 0;
    auto colon = s.rfind(':');
    if (colon != std::string::npos) {
      name = s.substr(0, colon);
      try {
        type_id = std::stoi(s.substr(colon + 1));
      } catch (...) {
        throw FormatError(where + ": bad template piece '" + s + "'");
      }
    }
    if (!name.empty() && name[0] == '$') {
      std::string seq = name.substr(1);
      if (seq.empty() || seq == "A" || seq == "a") return TemplatePiece{true, "A", type_id};
      if (seq == "B" || seq == "b") return TemplatePiece{true, "B", type_id};
      // "$1" style type id shorthand
      return TemplatePiece{true, "A", type_id};
    }
    return TemplatePiece{false, name, type_id};
  };
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    std::size_t p = 0;
    while (p < s.size()) {
      std::size_t q = s.find(' ', p);
      if (q == std::string::npos) q = s.size();
      if (q > p) out.push_back(parse_piece_str(s.substr(p, q - p)));
      p = q + 1;
    }
    return out;
  }
  if (!j.is_array()) throw FormatError(where + ": expected an array of template pieces");
  for (std::size_t i = 0; i < j.size(); ++i) {
    const json& p = j[i];
    std::string w = where + "[" + std::to_string(i) + "]";
    if (p.is_string()) {
      out.push_back(parse_piece_str(p.get<std::string>()));
    } else if (p.is_object() && p.contains("Sequence")) {
      const json& s = p["Sequence"];
      std::string id = get_string(s, "id", w + ".Sequence");
      if (id != "A" && id != "B") throw FormatError(w + ".Sequence.id: expected \"A\" or \"B\", found \"" + id + "\"");
      out.push_back({true, id, static_cast<int32_t>(get_int(s, "type_id", w + ".Sequence", 0))});
    } else if (p.is_object() && p.contains("SpecialToken")) {
      const json& s = p["SpecialToken"];
      out.push_back({false, get_string(s, "id", w + ".SpecialToken"),
                     static_cast<int32_t>(get_int(s, "type_id", w + ".SpecialToken", 0))});
    } else {
      throw FormatError(w + ": expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
    }
  }
  return out;
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const json& j, const std::string& where) {
  std::string type = get_type(j, where);
  if (type == "ByteLevel")
    return std::make_unique<ByteLevelPost>(get_bool(j, "trim_offsets", where, true), get_bool(j, "add_prefix_space", where, true));
  if (type == "TemplateProcessing") {
    auto t = std::make_unique<Template>();
    t->single = parse_template(field(j, "single", where), where + ".single");
    t->pair = parse_template(field(j, "pair", where), where + ".pair");
    const json& st = j.contains("special_tokens") ? j["special_tokens"] : json::object();
    auto add_entry = [&](const json& e, const std::string& w, const std::string& key) {
      SpecialEntry s;
      std::string id = e.contains("id") ? get_string(e, "id", w) : key;
      const json& ids = field(e, "ids", w);
      const json& toks = field(e, "tokens", w);
      if (!ids.is_array()) throw FormatError(w + ".ids: expected an array");
      if (!toks.is_array()) throw FormatError(w + ".tokens: expected an array");
      for (const auto& x : ids) {
        if (!x.is_number_integer()) throw FormatError(w + ".ids: expected integers");
        s.ids.push_back(static_cast<int32_t>(x.get<int64_t>()));
      }
      for (const auto& x : toks) {
        if (!x.is_string()) throw FormatError(w + ".tokens: expected strings");
        s.tokens.push_back(x.get<std::string>());
      }
      if (s.ids.size() != s.tokens.size()) throw FormatError(w + ": ids and tokens differ in length");
      t->specials[id] = std::move(s);
    };
    if (st.is_object()) {
      for (auto it = st.begin(); it != st.end(); ++it) add_entry(*it, where + ".special_tokens." + it.key(), it.key());
    } else if (st.is_array()) {
      for (std::size_t i = 0; i < st.size(); ++i) add_entry(st[i], where + ".special_tokens[" + std::to_string(i) + "]", "");
    } else {
      throw FormatError(where + ".special_tokens: expected an object");
    }
    for (const auto* tp : {&t->single, &t->pair})
      for (const auto& p : *tp)
        if (!p.is_sequence && !t->specials.count(p.id))
          throw FormatError(where + ".special_tokens: missing entry for template token '" + p.id + "'");
    return t;
  }
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    auto p = std::make_unique<ClsSep>();
    p->roberta = type == "RobertaProcessing";
    auto [st, si] = parse_tok_pair(j, "sep", where);
    auto [ct, ci] = parse_tok_pair(j, "cls", where);
    p->sep_tok = st;
    p->sep_id = si;
    p->cls_tok = ct;
    p->cls_id = ci;
    if (p->roberta) {
      p->trim = get_bool(j, "trim_offsets", where, true);
      p->add_prefix_space = get_bool(j, "add_prefix_space", where, true);
    }
    return p;
  }
  if (type == "Sequence") {
    auto s = std::make_unique<SequencePost>();
    const json& arr = field(j, "processors", where);
    if (!arr.is_array()) throw FormatError(where + ".processors: expected an array");
    for (std::size_t i = 0; i < arr.size(); ++i)
      s->v.push_back(make_post_processor(arr[i], where + ".processors[" + std::to_string(i) + "]"));
    return s;
  }
  throw FormatError(where + ".type: unknown post_processor type '" + type + "'");
}

}  // namespace transformers::tokenizers_detail
