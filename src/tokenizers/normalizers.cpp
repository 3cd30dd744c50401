// Normalizers: NFC/NFD/NFKC/NFKD, Lowercase, StripAccents, BertNormalizer, Replace, Prepend,
// Strip, Nmt, ByteLevel, Sequence.
#include "tokenizers/components.hpp"
#include "tokenizers/regex.hpp"
#include "tokenizers/unicode.hpp"
#include "transformers/core/error.hpp"

namespace transformers::tokenizers_detail {

namespace {

class UnicodeNorm : public Normalizer {
 public:
  enum Form { NFC, NFD, NFKC, NFKD };
  explicit UnicodeNorm(Form f) : f_(f) {}
  void normalize(NormalizedString& s) const override {
    switch (f_) {
      case NFC: s.nfc(); break;
      case NFD: s.nfd(); break;
      case NFKC: s.nfkc(); break;
      case NFKD: s.nfkd(); break;
    }
  }

 private:
  Form f_;
};

class Lowercase : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override { s.lowercase(); }
};

class StripAccents : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override {
    s.filter([](char32_t c) { return !is_mark(c); });
  }
};

class BertNormalizer : public Normalizer {
 public:
  BertNormalizer(bool clean, bool chinese, bool strip, bool lower)
      : clean_(clean), chinese_(chinese), strip_(strip), lower_(lower) {}
  void normalize(NormalizedString& s) const override {
    if (clean_) {
      s.filter([](char32_t c) {
        if (c == 0 || c == 0xFFFD) return false;
        if (c == '\t' || c == '\n' || c == '\r') return true;
        if (c < 0x20 || c == 0x7F) return false;
        if (c < 0x80) return true;
        return !is_control_category(c);
      });
      s.map([](char32_t c) { return is_whitespace(c) ? U' ' : c; });
    }
    if (chinese_) {
      const std::string& t = s.get();
      bool any = false;
      for (std::size_t i = 0; i < t.size();) {
        if (static_cast<unsigned char>(t[i]) < 0x80) { ++i; continue; }
        if (is_chinese_char(next_cp(t, i))) { any = true; break; }
      }
      if (any) {
        std::vector<CharChange> dest;
        dest.reserve(t.size() + 16);
        for (std::size_t i = 0; i < t.size();) {
          char32_t c = next_cp(t, i);
          if (is_chinese_char(c)) {
            dest.push_back({U' ', 0});
            dest.push_back({c, 1});
            dest.push_back({U' ', 1});
          } else {
            dest.push_back({c, 0});
          }
        }
        s.transform(dest, 0);
      }
    }
    if (strip_) {
      s.nfd();
      s.filter([](char32_t c) { return !is_nonspacing_mark(c); });
    }
    if (lower_) s.lowercase();
  }

 private:
  bool clean_, chinese_, strip_, lower_;
};

class Replace : public Normalizer {
 public:
  Replace(Pattern p, std::string content) : p_(std::move(p)), content_(std::move(content)) {}
  void normalize(NormalizedString& s) const override {
    std::vector<Span> m;
    p_.find_all(s.get(), m);
    s.replace_ranges(m, content_);
  }

 private:
  Pattern p_;
  std::string content_;
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(std::string p) : p_(std::move(p)) {}
  void normalize(NormalizedString& s) const override { s.prepend(p_); }

 private:
  std::string p_;
};

class Strip : public Normalizer {
 public:
  Strip(bool l, bool r) : l_(l), r_(r) {}
  void normalize(NormalizedString& s) const override { s.strip(l_, r_); }

 private:
  bool l_, r_;
};

class Nmt : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override {
    s.filter([](char32_t c) {
      return !((c >= 0x01 && c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || c == 0x8F ||
               c == 0x9F);
    });
    s.map([](char32_t c) -> char32_t {
      switch (c) {
        case 0x09: case 0x0A: case 0x0C: case 0x0D: case 0x1680: case 0x200B: case 0x200C: case 0x200D:
        case 0x200E: case 0x200F: case 0x2028: case 0x2029: case 0x2581: case 0xFEFF: case 0xFFFD:
          return U' ';
        default:
          return c;
      }
    });
  }
};

class ByteLevelNorm : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override {
    const char32_t* table = bytes_to_unicode();
    const std::string& t = s.get();
    std::vector<CharChange> dest;
    dest.reserve(t.size());
    for (std::size_t i = 0; i < t.size();) {
      std::size_t n = utf8_len(static_cast<unsigned char>(t[i]));
      for (std::size_t k = 0; k < n; ++k) dest.push_back({table[static_cast<unsigned char>(t[i + k])], k > 0 ? 1 : 0});
      i += n;
    }
    s.transform(dest, 0);
  }
};

class SequenceNorm : public Normalizer {
 public:
  explicit SequenceNorm(std::vector<std::unique_ptr<Normalizer>> v) : v_(std::move(v)) {}
  void normalize(NormalizedString& s) const override {
    for (const auto& n : v_) n->normalize(s);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> v_;
};

}  // namespace

std::unique_ptr<Normalizer> make_precompiled(const json& j, const std::string& where);

Pattern parse_pattern(const json& j, const std::string& where) {
  if (!j.is_object()) throw FormatError(where + ": expected {\"String\": ...} or {\"Regex\": ...}");
  if (j.contains("String")) {
    const json& v = j["String"];
    if (!v.is_string()) throw FormatError(where + ".String: expected a string");
    return Pattern::literal(v.get<std::string>());
  }
  if (j.contains("Regex")) {
    const json& v = j["Regex"];
    if (!v.is_string()) throw FormatError(where + ".Regex: expected a string");
    return Pattern::regex(v.get<std::string>(), where + ".Regex");
  }
  throw FormatError(where + ": expected {\"String\": ...} or {\"Regex\": ...}");
}

std::unique_ptr<Normalizer> make_normalizer(const json& j, const std::string& where) {
  std::string type = get_type(j, where);
  if (type == "NFC") return std::make_unique<UnicodeNorm>(UnicodeNorm::NFC);
  if (type == "NFD") return std::make_unique<UnicodeNorm>(UnicodeNorm::NFD);
  if (type == "NFKC") return std::make_unique<UnicodeNorm>(UnicodeNorm::NFKC);
  if (type == "NFKD") return std::make_unique<UnicodeNorm>(UnicodeNorm::NFKD);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "Nmt") return std::make_unique<Nmt>();
  if (type == "ByteLevel") return std::make_unique<ByteLevelNorm>();
  if (type == "BertNormalizer") {
    bool lower = get_bool(j, "lowercase", where, true);
    bool strip = lower;
    if (j.contains("strip_accents") && !j["strip_accents"].is_null()) strip = get_bool(j, "strip_accents", where);
    return std::make_unique<BertNormalizer>(get_bool(j, "clean_text", where, true),
                                            get_bool(j, "handle_chinese_chars", where, true), strip, lower);
  }
  if (type == "Replace") {
    return std::make_unique<Replace>(parse_pattern(field(j, "pattern", where), where + ".pattern"),
                                     get_string(j, "content", where));
  }
  if (type == "Prepend") return std::make_unique<Prepend>(get_string(j, "prepend", where));
  if (type == "Strip") {
    return std::make_unique<Strip>(get_bool(j, "strip_left", where, true), get_bool(j, "strip_right", where, true));
  }
  if (type == "Sequence") {
    const json& arr = field(j, "normalizers", where);
    if (!arr.is_array()) throw FormatError(where + ".normalizers: expected an array");
    std::vector<std::unique_ptr<Normalizer>> v;
    for (std::size_t i = 0; i < arr.size(); ++i)
      v.push_back(make_normalizer(arr[i], where + ".normalizers[" + std::to_string(i) + "]"));
    return std::make_unique<SequenceNorm>(std::move(v));
  }
  if (type == "Precompiled") {
    auto p = make_precompiled(j, where);
    if (!p) return std::make_unique<SequenceNorm>(std::vector<std::unique_ptr<Normalizer>>{});
    return p;
  }
  throw FormatError(where + ".type: unknown normalizer type '" + type + "'");
}

std::string normalize_str(const Normalizer& n, std::string_view s) {
  NormalizedString ns(s, 0);
  n.normalize(ns);
  return ns.get();
}

}  // namespace transformers::tokenizers_detail
