// Pre-tokenizers: ByteLevel, BertPreTokenizer, Whitespace, WhitespaceSplit, Metaspace, Split,
// Digits, Punctuation, CharDelimiterSplit, UnicodeScripts, FixedLength, Sequence.

#include "tokenizers/components.hpp"
#include "tokenizers/regex.hpp"
#include "tokenizers/unicode.hpp"
#include "transformers/core/error.hpp"

namespace transformers::tokenizers_detail {

Pattern parse_pattern(const json& j, const std::string& where);

namespace {

// Applies `fn` to every split without tokens; fn returns the spans (normalized byte ranges) to keep.
template <typename F>
void split_each(std::vector<Split>& splits, F&& fn) {
  std::vector<Split> out;
  out.reserve(splits.size() * 2);
  std::vector<Span> spans;
  for (std::size_t i = 0; i < splits.size(); ++i) {
    Split& s = splits[i];
    if (s.tokens) {
      out.push_back(std::move(s));
      continue;
    }
    spans.clear();
    fn(s.normalized, spans);
    if (spans.size() == 1 && spans[0].first == 0 && spans[0].second == s.normalized.size()) {
      out.push_back(std::move(s));
      continue;
    }
    for (auto [b, e] : spans)
      if (e > b) out.push_back(Split{s.normalized.slice(b, e), std::nullopt});
  }
  splits = std::move(out);
}

// Spans for a char predicate: every matching char is its own match.
template <typename Pred>
void split_by_char(const std::string& t, Pred&& pred, SplitBehavior b, std::vector<Span>& out) {
  std::vector<std::pair<Span, bool>> pieces;
  std::size_t prev = 0, i = 0;
  while (i < t.size()) {
    std::size_t at = i;
    char32_t c = next_cp(t, i);
    if (pred(c)) {
      if (at > prev) pieces.push_back({{prev, at}, false});
      pieces.push_back({{at, i}, true});
      prev = i;
    }
  }
  if (prev < t.size()) pieces.push_back({{prev, t.size()}, false});
  apply_behavior(pieces, b, out);
}

class SplitPre : public PreTokenizer {
 public:
  SplitPre(Pattern p, SplitBehavior b, bool invert) : p_(std::move(p)), b_(b), invert_(invert) {}
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [&](NormalizedString& ns, std::vector<Span>& out) {
      std::vector<Span> m;
      p_.find_all(ns.get(), m);
      std::vector<std::pair<Span, bool>> pieces;
      matches_to_pieces(m, ns.size(), invert_, pieces);
      apply_behavior(pieces, b_, out);
    });
  }

 private:
  Pattern p_;
  SplitBehavior b_;
  bool invert_;
};

const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevelPre : public PreTokenizer {
 public:
  ByteLevelPre(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {
    if (use_regex_) re_ = std::make_unique<Regex>(kGpt2Pattern, "ByteLevel");
  }
  void pre_tokenize(std::vector<Split>& splits) const override {
    if (add_prefix_space_) {
      for (auto& s : splits)
        if (!s.tokens && !s.normalized.empty() && s.normalized.get()[0] != ' ') s.normalized.prepend(" ");
    }
    if (use_regex_) {
      split_each(splits, [&](NormalizedString& ns, std::vector<Span>& out) {
        std::vector<Span> m;
        re_->find_all(ns.get(), m);
        std::vector<std::pair<Span, bool>> pieces;
        matches_to_pieces(m, ns.size(), false, pieces);
        apply_behavior(pieces, SplitBehavior::Isolated, out);
      });
    }
    const char32_t* table = bytes_to_unicode();
    std::vector<CharChange> dest;
    for (auto& s : splits) {
      if (s.tokens) continue;
      const std::string& t = s.normalized.get();
      dest.clear();
      dest.reserve(t.size());
      for (std::size_t i = 0; i < t.size();) {
        std::size_t n = utf8_len(static_cast<unsigned char>(t[i]));
        for (std::size_t k = 0; k < n; ++k)
          dest.push_back({table[static_cast<unsigned char>(t[i + k])], k > 0 ? 1 : 0});
        i += n;
      }
      s.normalized.transform(dest, 0);
    }
  }

 private:
  bool add_prefix_space_, use_regex_;
  std::unique_ptr<Regex> re_;
};

class BertPre : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [](NormalizedString& ns, std::vector<Span>& out) {
      split_by_char(ns.get(), is_whitespace, SplitBehavior::Removed, out);
    });
    split_each(splits, [](NormalizedString& ns, std::vector<Span>& out) {
      split_by_char(ns.get(), is_bert_punctuation, SplitBehavior::Isolated, out);
    });
  }
};

class WhitespacePre : public PreTokenizer {
 public:
  WhitespacePre() : re_(R"(\w+|[^\w\s]+)", "Whitespace") {}
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [&](NormalizedString& ns, std::vector<Span>& out) {
      std::vector<Span> m;
      re_.find_all(ns.get(), m);
      std::vector<std::pair<Span, bool>> pieces;
      matches_to_pieces(m, ns.size(), true, pieces);
      apply_behavior(pieces, SplitBehavior::Removed, out);
    });
  }

 private:
  Regex re_;
};

class WhitespaceSplitPre : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [](NormalizedString& ns, std::vector<Span>& out) {
      split_by_char(ns.get(), is_whitespace, SplitBehavior::Removed, out);
    });
  }
};

class CharDelimiterPre : public PreTokenizer {
 public:
  explicit CharDelimiterPre(char32_t d) : d_(d) {}
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [&](NormalizedString& ns, std::vector<Span>& out) {
      split_by_char(ns.get(), [&](char32_t c) { return c == d_; }, SplitBehavior::Removed, out);
    });
  }

 private:
  char32_t d_;
};

class PunctuationPre : public PreTokenizer {
 public:
  explicit PunctuationPre(SplitBehavior b) : b_(b) {}
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [&](NormalizedString& ns, std::vector<Span>& out) {
      split_by_char(ns.get(), is_bert_punctuation, b_, out);
    });
  }

 private:
  SplitBehavior b_;
};

class DigitsPre : public PreTokenizer {
 public:
  explicit DigitsPre(bool individual) : individual_(individual) {}
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [&](NormalizedString& ns, std::vector<Span>& out) {
      split_by_char(ns.get(), is_numeric, individual_ ? SplitBehavior::Isolated : SplitBehavior::Contiguous, out);
    });
  }

 private:
  bool individual_;
};

enum class Prepend { Always, First, Never };

class MetaspacePre : public PreTokenizer {
 public:
  MetaspacePre(std::string repl, Prepend scheme, bool split) : repl_(std::move(repl)), scheme_(scheme), split_(split) {}
  void pre_tokenize(std::vector<Split>& splits) const override {
    for (auto& s : splits) {
      if (s.tokens) continue;
      NormalizedString& ns = s.normalized;
      std::vector<Span> m;
      const std::string& t = ns.get();
      for (std::size_t i = 0; i < t.size(); ++i)
        if (t[i] == ' ') m.emplace_back(i, i + 1);
      ns.replace_ranges(m, repl_);
      bool starts = ns.get().compare(0, repl_.size(), repl_) == 0;
      if (scheme_ == Prepend::Always && !starts) ns.prepend(repl_);
      if (scheme_ == Prepend::First && !starts && ns.orig_start() == 0) ns.prepend(repl_);
    }
    if (split_) {
      split_each(splits, [&](NormalizedString& ns, std::vector<Span>& out) {
        std::vector<Span> m;
        Pattern::literal(repl_).find_all(ns.get(), m);
        std::vector<std::pair<Span, bool>> pieces;
        matches_to_pieces(m, ns.size(), false, pieces);
        apply_behavior(pieces, SplitBehavior::MergedWithNext, out);
      });
    }
  }

 private:
  std::string repl_;
  Prepend scheme_;
  bool split_;
};

class FixedLengthPre : public PreTokenizer {
 public:
  explicit FixedLengthPre(std::size_t n) : n_(n) {}
  void pre_tokenize(std::vector<Split>& splits) const override {
    split_each(splits, [&](NormalizedString& ns, std::vector<Span>& out) {
      const std::string& t = ns.get();
      std::size_t start = 0, i = 0, k = 0;
      while (i < t.size()) {
        next_cp(t, i);
        if (++k == n_) {
          out.emplace_back(start, i);
          start = i;
          k = 0;
        }
      }
      if (start < t.size()) out.emplace_back(start, t.size());
    });
  }

 private:
  std::size_t n_;
};

class SequencePre : public PreTokenizer {
 public:
  explicit SequencePre(std::vector<std::unique_ptr<PreTokenizer>> v) : v_(std::move(v)) {}
  void pre_tokenize(std::vector<Split>& splits) const override {
    for (const auto& p : v_) p->pre_tokenize(splits);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> v_;
};

Prepend parse_prepend(const json& j, const std::string& where) {
  if (j.contains("prepend_scheme") && !j["prepend_scheme"].is_null()) {
    std::string s = get_string(j, "prepend_scheme", where);
    if (s == "always") return Prepend::Always;
    if (s == "first") return Prepend::First;
    if (s == "never") return Prepend::Never;
    throw FormatError(where + ".prepend_scheme: unknown value '" + s + "'");
  }
  if (j.contains("add_prefix_space")) return get_bool(j, "add_prefix_space", where) ? Prepend::Always : Prepend::Never;
  return Prepend::Always;
}

std::string parse_replacement(const json& j, const std::string& where) {
  std::string r;
  if (j.contains("replacement")) r = get_string(j, "replacement", where);
  else if (j.contains("str_rep")) r = get_string(j, "str_rep", where);
  else r = "\xE2\x96\x81";
  if (r.empty() || count_chars(r) != 1) throw FormatError(where + ".replacement: expected exactly one character");
  return r;
}

}  // namespace

// Shared with decoders.cpp.
int parse_metaspace_scheme(const json& j, const std::string& where) { return static_cast<int>(parse_prepend(j, where)); }
std::string parse_metaspace_replacement(const json& j, const std::string& where) { return parse_replacement(j, where); }

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& j, const std::string& where) {
  std::string type = get_type(j, where);
  if (type == "ByteLevel")
    return std::make_unique<ByteLevelPre>(get_bool(j, "add_prefix_space", where, true), get_bool(j, "use_regex", where, true));
  if (type == "BertPreTokenizer") return std::make_unique<BertPre>();
  if (type == "Whitespace") return std::make_unique<WhitespacePre>();
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplitPre>();
  if (type == "Metaspace") {
    return std::make_unique<MetaspacePre>(parse_replacement(j, where), parse_prepend(j, where),
                                          get_bool(j, "split", where, true));
  }
  if (type == "Split") {
    bool invert = get_bool(j, "invert", where, false);
    return std::make_unique<SplitPre>(parse_pattern(field(j, "pattern", where), where + ".pattern"),
                                      parse_behavior(field(j, "behavior", where), where + ".behavior"), invert);
  }
  if (type == "Digits") return std::make_unique<DigitsPre>(get_bool(j, "individual_digits", where, false));
  if (type == "Punctuation") {
    SplitBehavior b = SplitBehavior::Isolated;
    if (j.contains("behavior")) b = parse_behavior(j["behavior"], where + ".behavior");
    return std::make_unique<PunctuationPre>(b);
  }
  if (type == "CharDelimiterSplit") {
    std::string d = get_string(j, "delimiter", where);
    if (count_chars(d) != 1) throw FormatError(where + ".delimiter: expected exactly one character");
    std::size_t i = 0;
    return std::make_unique<CharDelimiterPre>(next_cp(d, i));
  }
  if (type == "UnicodeScripts")
    throw UnsupportedError(where + ".type: the UnicodeScripts pre-tokenizer is not supported yet");
  if (type == "FixedLength") {
    int64_t n = get_int(j, "length", where, 5);
    if (n <= 0) throw FormatError(where + ".length: must be positive");
    return std::make_unique<FixedLengthPre>(static_cast<std::size_t>(n));
  }
  if (type == "Sequence") {
    const json& arr = field(j, "pretokenizers", where);
    if (!arr.is_array()) throw FormatError(where + ".pretokenizers: expected an array");
    std::vector<std::unique_ptr<PreTokenizer>> v;
    for (std::size_t i = 0; i < arr.size(); ++i)
      v.push_back(make_pre_tokenizer(arr[i], where + ".pretokenizers[" + std::to_string(i) + "]"));
    return std::make_unique<SequencePre>(std::move(v));
  }
  throw FormatError(where + ".type: unknown pre_tokenizer type '" + type + "'");
}

}  // namespace transformers::tokenizers_detail
