// Decoders: ByteLevel, WordPiece, Metaspace, ByteFallback, Fuse, Strip, Replace, BPEDecoder, CTC,
// Sequence. Each works on the list of token strings; the caller joins the result with "".
#include "tokenizers/components.hpp"
#include "tokenizers/regex.hpp"
#include "tokenizers/unicode.hpp"
#include "transformers/core/error.hpp"

namespace transformers::tokenizers_detail {

Pattern parse_pattern(const json& j, const std::string& where);
int parse_metaspace_scheme(const json& j, const std::string& where);
std::string parse_metaspace_replacement(const json& j, const std::string& where);

namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

void wordpiece_cleanup(std::string& s) {
  replace_all(s, " .", ".");
  replace_all(s, " ?", "?");
  replace_all(s, " !", "!");
  replace_all(s, " ,", ",");
  replace_all(s, " ' ", "'");
  replace_all(s, " n't", "n't");
  replace_all(s, " 'm", "'m");
  replace_all(s, " do not", " don't");
  replace_all(s, " 's", "'s");
  replace_all(s, " 've", "'ve");
  replace_all(s, " 're", "'re");
}

class ByteLevelDec : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const auto& t : tokens) {
      std::size_t mark = bytes.size();
      bool ok = true;
      for (std::size_t i = 0; i < t.size();) {
        int b = unicode_to_byte(next_cp(t, i));
        if (b < 0) { ok = false; break; }
        bytes.push_back(static_cast<char>(b));
      }
      if (!ok) {
        bytes.resize(mark);
        bytes += t;
      }
    }
    tokens.assign(1, sanitize_utf8(bytes));
  }
};

class WordPieceDec : public Decoder {
 public:
  WordPieceDec(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (i != 0) {
        if (!prefix_.empty() && t.compare(0, prefix_.size(), prefix_) == 0) t.erase(0, prefix_.size());
        else t.insert(0, " ");
      }
      if (cleanup_) wordpiece_cleanup(t);
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

class MetaspaceDec : public Decoder {
 public:
  MetaspaceDec(std::string repl, bool never) : repl_(std::move(repl)), never_(never) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i)
      replace_all(tokens[i], repl_, (i == 0 && !never_) ? "" : " ");
  }

 private:
  std::string repl_;
  bool never_;
};

class ByteFallbackDec : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    std::size_t pending_n = 0;
    auto flush = [&]() {
      if (pending_n == 0) return;
      if (is_valid_utf8(pending)) {
        out.push_back(pending);
      } else {
        for (std::size_t k = 0; k < pending_n; ++k) out.emplace_back("\xEF\xBF\xBD");
      }
      pending.clear();
      pending_n = 0;
    };
    for (auto& t : tokens) {
      int byte = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') {
        auto hex = [](char c) -> int {
          if (c >= '0' && c <= '9') return c - '0';
          if (c >= 'a' && c <= 'f') return c - 'a' + 10;
          if (c >= 'A' && c <= 'F') return c - 'A' + 10;
          return -1;
        };
        int h = hex(t[3]), l = hex(t[4]);
        if (h >= 0 && l >= 0) byte = h * 16 + l;
      }
      if (byte >= 0) {
        pending.push_back(static_cast<char>(byte));
        ++pending_n;
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }
};

class FuseDec : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string s;
    for (const auto& t : tokens) s += t;
    tokens.assign(1, s);
  }
};

class StripDec : public Decoder {
 public:
  StripDec(char32_t c, std::size_t start, std::size_t stop) : c_(c), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) {
      std::u32string cs;
      for (std::size_t i = 0; i < t.size();) cs.push_back(next_cp(t, i));
      std::size_t a = 0, b = 0;
      while (a < start_ && a < cs.size() && cs[a] == c_) ++a;
      while (b < stop_ && b < cs.size() - a && cs[cs.size() - 1 - b] == c_) ++b;
      std::string r;
      for (std::size_t k = a; k < cs.size() - b; ++k) append_utf8(r, cs[k]);
      t = std::move(r);
    }
  }

 private:
  char32_t c_;
  std::size_t start_, stop_;
};

class ReplaceDec : public Decoder {
 public:
  ReplaceDec(Pattern p, std::string content) : p_(std::move(p)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<Span> m;
    for (auto& t : tokens) {
      m.clear();
      p_.find_all(t, m);
      if (m.empty()) continue;
      std::string r;
      std::size_t last = 0;
      for (auto [s, e] : m) {
        r.append(t, last, s - last);
        r += content_;
        last = e;
      }
      r.append(t, last, std::string::npos);
      t = std::move(r);
    }
  }

 private:
  Pattern p_;
  std::string content_;
};

class BPEDec : public Decoder {
 public:
  explicit BPEDec(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i) replace_all(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
  }

 private:
  std::string suffix_;
};

class CTCDec : public Decoder {
 public:
  CTCDec(std::string pad, std::string delim, bool cleanup) : pad_(std::move(pad)), delim_(std::move(delim)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0 && tokens[i] == tokens[i - 1]) continue;
      if (tokens[i] == pad_) continue;
      std::string t = tokens[i];
      if (cleanup_) {
        wordpiece_cleanup(t);
        replace_all(t, delim_, " ");
      }
      if (!t.empty()) out.push_back(std::move(t));
    }
    tokens = std::move(out);
  }

 private:
  std::string pad_, delim_;
  bool cleanup_;
};

class SequenceDec : public Decoder {
 public:
  std::vector<std::unique_ptr<Decoder>> v;
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& d : v) d->decode_chain(tokens);
  }
};

}  // namespace

std::unique_ptr<Decoder> make_decoder(const json& j, const std::string& where) {
  std::string type = get_type(j, where);
  if (type == "ByteLevel") return std::make_unique<ByteLevelDec>();
  if (type == "WordPiece")
    return std::make_unique<WordPieceDec>(get_opt_string(j, "prefix", where).value_or("##"), get_bool(j, "cleanup", where, true));
  if (type == "Metaspace")
    return std::make_unique<MetaspaceDec>(parse_metaspace_replacement(j, where), parse_metaspace_scheme(j, where) == 2);
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDec>();
  if (type == "Fuse") return std::make_unique<FuseDec>();
  if (type == "Strip") {
    std::string c = get_string(j, "content", where);
    if (count_chars(c) != 1) throw FormatError(where + ".content: expected exactly one character");
    std::size_t i = 0;
    char32_t ch = next_cp(c, i);
    int64_t a = get_int(j, "start", where, 0), b = get_int(j, "stop", where, 0);
    if (a < 0 || b < 0) throw FormatError(where + ": start/stop must not be negative");
    return std::make_unique<StripDec>(ch, static_cast<std::size_t>(a), static_cast<std::size_t>(b));
  }
  if (type == "Replace") {
    return std::make_unique<ReplaceDec>(parse_pattern(field(j, "pattern", where), where + ".pattern"),
                                        get_string(j, "content", where));
  }
  if (type == "BPEDecoder") return std::make_unique<BPEDec>(get_opt_string(j, "suffix", where).value_or("</w>"));
  if (type == "CTC") {
    return std::make_unique<CTCDec>(get_opt_string(j, "pad_token", where).value_or("<pad>"),
                                    get_opt_string(j, "word_delimiter_token", where).value_or("|"),
                                    get_bool(j, "cleanup", where, true));
  }
  if (type == "Sequence") {
    auto s = std::make_unique<SequenceDec>();
    const json& arr = field(j, "decoders", where);
    if (!arr.is_array()) throw FormatError(where + ".decoders: expected an array");
    for (std::size_t i = 0; i < arr.size(); ++i)
      s->v.push_back(make_decoder(arr[i], where + ".decoders[" + std::to_string(i) + "]"));
    return s;
  }
  throw FormatError(where + ".type: unknown decoder type '" + type + "'");
}

}  // namespace transformers::tokenizers_detail
