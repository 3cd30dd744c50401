#include "transformers/core/quote.hpp"

#include <cstdint>

namespace transformers {

namespace {

// Length of the well-formed UTF-8 sequence at s[i] and its code point; 0 when the bytes there are
// not one (overlong, surrogate, above U+10FFFF, truncated, stray continuation byte).
std::size_t utf8_sequence(std::string_view s, std::size_t i, uint32_t& cp) {
  const uint8_t c = uint8_t(s[i]);
  std::size_t len;
  if (c < 0x80) { cp = c; return 1; }
  if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
  else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
  else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
  else return 0;
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const uint8_t cc = uint8_t(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return 0;
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

// Code points that move the cursor, end a line or reorder the text on a terminal.
bool is_invisible_control(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

std::string escape(std::string_view s, std::size_t max_bytes, bool escape_backslash) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() < max_bytes ? s.size() + 8 : max_bytes + 32);
  std::size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    const std::size_t len = utf8_sequence(s, i, cp);
    std::string piece;
    if (len == 0) {
      piece = {'\\', 'x', kHex[uint8_t(s[i]) >> 4], kHex[uint8_t(s[i]) & 15]};
    } else if (cp == '\n') {
      piece = "\\n";
    } else if (cp == '\r') {
      piece = "\\r";
    } else if (cp == '\t') {
      piece = "\\t";
    } else if (cp == '\\' && escape_backslash) {
      piece = "\\\\";
    } else if (is_invisible_control(cp)) {
      if (cp < 0x80) {
        piece = {'\\', 'x', kHex[cp >> 4], kHex[cp & 15]};
      } else {
        piece = "\\u{";
        for (int shift = 12; shift >= 0; shift -= 4) piece.push_back(kHex[(cp >> shift) & 15]);
        piece.push_back('}');
      }
    } else {
      piece.assign(s.substr(i, len));
    }
    if (out.size() + piece.size() > max_bytes) {
      out += "... (" + std::to_string(s.size()) + " bytes in all)";
      return out;
    }
    out += piece;
    i += len == 0 ? 1 : len;
  }
  return out;
}

}  // namespace

std::string escape_input(std::string_view s, std::size_t max_bytes) { return escape(s, max_bytes, true); }

std::string quote_input(std::string_view s, std::size_t max_bytes) { return "'" + escape_input(s, max_bytes) + "'"; }

std::string one_line(std::string_view msg, std::size_t max_bytes) { return escape(msg, max_bytes, false); }

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    const std::size_t len = utf8_sequence(s, i, cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace transformers
