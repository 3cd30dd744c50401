#pragma once
// UTF-8 helpers and the Unicode predicates the tokenizer pipeline needs (categories come from
// utf8proc; no hand-written tables).
#include <cstdint>
#include <string>
#include <string_view>

namespace transformers::tokenizers_detail {

// Decodes the code point at s[i] (valid UTF-8 assumed) and advances i.
inline char32_t next_cp(std::string_view s, std::size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) { ++i; return c; }
  if (c < 0xE0) { char32_t r = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F); i += 2; return r; }
  if (c < 0xF0) {
    char32_t r = ((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
    i += 3;
    return r;
  }
  char32_t r = ((c & 0x07) << 18) | ((s[i + 1] & 0x3F) << 12) | ((s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
  i += 4;
  return r;
}

inline std::size_t utf8_len(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}
inline std::size_t cp_len(char32_t c) { return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; }

inline void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Number of code points in valid UTF-8.
std::size_t count_chars(std::string_view s);
// True when s is valid UTF-8 (no surrogates, no overlongs, <= U+10FFFF).
bool is_valid_utf8(std::string_view s);
// Replaces each maximal invalid subpart with U+FFFD (Python errors="replace", Rust from_utf8_lossy).
std::string sanitize_utf8(std::string_view s);

// General category predicates (utf8proc).
bool is_whitespace(char32_t c);        // Unicode White_Space (Rust char::is_whitespace)
bool is_word_char(char32_t c);         // Rust regex \w
bool is_numeric(char32_t c);           // Rust char::is_numeric (N*)
bool is_bert_punctuation(char32_t c);  // ASCII punctuation or P*
bool is_control_category(char32_t c);  // Cc, Cf, Co, Cs (not Cn)
bool is_mark(char32_t c);              // M*
bool is_nonspacing_mark(char32_t c);   // Mn
bool is_chinese_char(char32_t c);      // CJK ideograph blocks used by BertNormalizer
// Appends Rust char::to_lowercase (full, context-free) of c.
void append_lowercase(std::u32string& out, char32_t c);

}  // namespace transformers::tokenizers_detail
