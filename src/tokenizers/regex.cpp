#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizers/regex.hpp"

#include <pcre2.h>

#include "tokenizers/unicode.hpp"
#include "transformers/core/error.hpp"

#include <cstdio>

namespace transformers::tokenizers_detail {

namespace {
struct MatchData {
  pcre2_match_data* md = pcre2_match_data_create(64, nullptr);
  ~MatchData() { pcre2_match_data_free(md); }
};
pcre2_match_data* thread_match_data() {
  thread_local MatchData m;
  return m.md;
}
}  // namespace

namespace {
// The White_Space chars as a class body ("\x{9}-\x{d}\x{20}..."), computed from the Unicode
// categories. Oniguruma's \s is exactly this set; PCRE2's \s also takes U+180E.
const std::string& space_class_body() {
  static const std::string body = [] {
    std::string b;
    char buf[48];
    char32_t c = 0;
    while (c <= 0x10FFFF) {
      if (!is_whitespace(c)) { ++c; continue; }
      char32_t e = c;
      while (e + 1 <= 0x10FFFF && is_whitespace(e + 1)) ++e;
      if (e == c) std::snprintf(buf, sizeof(buf), "\\x{%x}", static_cast<unsigned>(c));
      else std::snprintf(buf, sizeof(buf), "\\x{%x}-\\x{%x}", static_cast<unsigned>(c), static_cast<unsigned>(e));
      b += buf;
      c = e + 1;
    }
    return b;
  }();
  return body;
}

constexpr const char* kWordBody = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}";

// Rewrites \s, \S, \w and \W so that they mean what Oniguruma / Rust regex take them to mean.
std::string translate_pattern(const std::string& p) {
  std::string out;
  bool in_class = false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char n = p[i + 1];
      if (n == 's') {
        out += in_class ? space_class_body() : "[" + space_class_body() + "]";
      } else if (n == 'S' && !in_class) {
        out += "[^" + space_class_body() + "]";
      } else if (n == 'w') {
        // Unicode \w as Rust regex and Oniguruma define it (PCRE2 10.42 leaves out marks).
        out += in_class ? kWordBody : std::string("[") + kWordBody + "]";
      } else if (n == 'W' && !in_class) {
        out += std::string("[^") + kWordBody + "]";
      } else {
        out += c;
        out += n;
      }
      ++i;
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is literal.
      if (i + 1 < p.size() && p[i + 1] == '^') { out += '^'; ++i; }
      if (i + 1 < p.size() && p[i + 1] == ']') { out += "\\]"; ++i; }
      continue;
    }
    if (in_class && c == ']') in_class = false;
    out += c;
  }
  return out;
}
}  // namespace

Regex::Regex(const std::string& pattern_in, const std::string& what) : pattern_(pattern_in) {
  int err = 0;
  PCRE2_SIZE erroff = 0;
  const std::string pattern = translate_pattern(pattern_in);
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP, &err, &erroff, nullptr);
  if (!code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof(buf));
    throw FormatError(what + ": regex does not compile at offset " + std::to_string(erroff) + ": " +
                      reinterpret_cast<const char*>(buf) + " (pattern: " + pattern + ")");
  }
  jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  code_ = code;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

void Regex::find_all(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>>& out) const {
  auto* code = static_cast<pcre2_code*>(code_);
  pcre2_match_data* md = thread_match_data();
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
  std::size_t start = 0;
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  while (start <= text.size()) {
    int rc = jit_ ? pcre2_jit_match(code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, md, nullptr)
                  : pcre2_match(code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
      throw ValueError("regex match failed (code " + std::to_string(rc) + ") for pattern " + pattern_);
    }
    if (rc == PCRE2_ERROR_NOMATCH) break;
    std::size_t s = ov[0], e = ov[1];
    if (e == s) {
      // Empty match: step one char forward.
      if (s >= text.size()) break;
      std::size_t n = 1;
      while (s + n < text.size() && (static_cast<unsigned char>(text[s + n]) & 0xC0) == 0x80) ++n;
      start = s + n;
      continue;
    }
    out.emplace_back(s, e);
    start = e;
  }
}

Pattern Pattern::literal(std::string s) {
  Pattern p;
  p.literal_ = std::move(s);
  return p;
}

Pattern Pattern::regex(const std::string& r, const std::string& what) {
  Pattern p;
  p.regex_ = std::make_shared<Regex>(r, what);
  return p;
}

void Pattern::find_all(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>>& out) const {
  if (regex_) {
    regex_->find_all(text, out);
    return;
  }
  if (literal_.empty()) return;
  std::size_t pos = 0;
  while ((pos = text.find(literal_, pos)) != std::string_view::npos) {
    out.emplace_back(pos, pos + literal_.size());
    pos += literal_.size();
  }
}

std::string regex_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}-#&~ ").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace transformers::tokenizers_detail
