// The template lexer. Whitespace rules as jinja2 3.1 applies them:
// - `{%-` / `{{-` / `{#-` strip all whitespace before the tag; `-%}` / `-}}` / `-#}` all after it;
// - lstrip_blocks: spaces and tabs between a line start and `{%` / `{#` (not `{{`) are dropped,
//   unless the tag starts with `+`;
// - trim_blocks: one newline right after `%}` / `#}` is dropped, unless the tag ends with `+%}`;
// - one trailing newline of the template is dropped (keep_trailing_newline=False).
#include "tokenizers/jinja/lexer.hpp"

#include <cstring>

#include "tokenizers/unicode.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/tokenizers/jinja.hpp"

namespace transformers::jinja::detail {

namespace {

using tokenizers_detail::append_utf8;
using tokenizers_detail::next_cp;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

// Length of the Python-whitespace code point at s[i], 0 when it is not one.
std::size_t space_at(std::string_view s, std::size_t i) {
  if (i >= s.size()) return 0;
  std::size_t j = i;
  const char32_t c = next_cp(s, j);
  return is_py_space(c) ? j - i : 0;
}

std::string rstrip_space(std::string_view s) {
  // Walk forward remembering where the trailing run of whitespace starts.
  std::size_t keep = 0;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t j = i;
    const char32_t c = next_cp(s, j);
    if (!is_py_space(c)) keep = j;
    i = j;
  }
  return std::string(s.substr(0, keep));
}

bool all_space(std::string_view s) {
  if (s.empty()) return false;  // \s+ needs one character
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = space_at(s, i);
    if (!n) return false;
    i += n;
  }
  return true;
}

class Lexer {
 public:
  explicit Lexer(std::string src) : s_(std::move(src)) {}

  std::vector<Token> run() {
    while (pos_ < s_.size()) root();
    push(Token::Eof, "", pos_);
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(const std::string& msg, std::size_t at) {
    const Pos p = pos_of(at);
    throw TemplateSyntaxError(msg, p.line, p.column);
  }

  Pos pos_of(std::size_t at) {
    // Positions are asked for in increasing order: advance a cursor.
    if (at < cursor_) {
      cursor_ = 0;
      cur_pos_ = {1, 1};
    }
    while (cursor_ < at && cursor_ < s_.size()) {
      if (s_[cursor_] == '\n') {
        ++cur_pos_.line;
        cur_pos_.column = 1;
      } else if ((static_cast<unsigned char>(s_[cursor_]) & 0xC0) != 0x80) {
        ++cur_pos_.column;
      }
      ++cursor_;
    }
    return cur_pos_;
  }

  void push(Token::Type t, std::string text, std::size_t at) {
    Token tok;
    tok.type = t;
    tok.text = std::move(text);
    tok.pos = pos_of(at);
    out_.push_back(std::move(tok));
  }

  // Text up to the next tag opener, then the tag.
  void root() {
    std::size_t open = pos_;
    char kind = 0;
    while (true) {
      open = s_.find('{', open);
      if (open == std::string::npos || open + 1 >= s_.size()) {
        open = std::string::npos;
        break;
      }
      const char k = s_[open + 1];
      if (k == '{' || k == '%' || k == '#') {
        kind = k;
        break;
      }
      ++open;
    }
    if (open == std::string::npos) {
      push(Token::Data, s_.substr(pos_), pos_);
      pos_ = s_.size();
      return;
    }
    const char sign = (open + 2 < s_.size() && (s_[open + 2] == '-' || s_[open + 2] == '+')) ? s_[open + 2] : 0;
    std::string text = s_.substr(pos_, open - pos_);
    if (sign == '-') {
      text = rstrip_space(text);
    } else if (sign != '+' && kind != '{') {
      const std::size_t nl = text.rfind('\n');
      const std::size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
      if ((l_pos > 0 || line_starting_) && all_space(std::string_view(text).substr(l_pos))) text.resize(l_pos);
    }
    if (!text.empty()) push(Token::Data, std::move(text), pos_);
    line_starting_ = false;
    const std::size_t body = open + 2 + (sign ? 1 : 0);
    if (kind == '#') {
      comment(open, body);
    } else if (kind == '%' && raw_block(open, body)) {
      // handled
    } else {
      pos_ = body;
      push(kind == '{' ? Token::VarBegin : Token::BlockBegin, "", open);
      tag(kind == '{');
    }
  }

  void comment(std::size_t open, std::size_t body) {
    const std::size_t end = s_.find("#}", body);
    if (end == std::string::npos) fail("Missing end of comment tag", open);
    std::size_t after = end + 2;
    const char sign = end > body ? s_[end - 1] : 0;
    if (sign == '-') {
      while (std::size_t n = space_at(s_, after)) after += n;
    } else if (sign != '+' && after < s_.size() && s_[after] == '\n') {
      ++after;
    }
    line_starting_ = s_[after - 1] == '\n';
    pos_ = after;
  }

  // {% raw %}...{% endraw %}: the content is text, tags in it are not interpreted.
  bool raw_block(std::size_t open, std::size_t body) {
    std::size_t i = body;
    while (std::size_t n = space_at(s_, i)) i += n;
    if (s_.compare(i, 3, "raw") != 0 || (i + 3 < s_.size() && is_name_char(s_[i + 3]))) return false;
    i += 3;
    while (std::size_t n = space_at(s_, i)) i += n;
    if (s_.compare(i, 3, "-%}") == 0) {
      i += 3;
      while (std::size_t n = space_at(s_, i)) i += n;
    } else if (s_.compare(i, 2, "%}") == 0) {
      i += 2;
    } else {
      fail("expected '%}' after 'raw'", i);
    }
    // Find {%[-+]? endraw ... %}
    for (std::size_t j = s_.find("{%", i); j != std::string::npos; j = s_.find("{%", j + 2)) {
      std::size_t k = j + 2;
      const char sign = (k < s_.size() && (s_[k] == '-' || s_[k] == '+')) ? s_[k] : 0;
      if (sign) ++k;
      while (std::size_t n = space_at(s_, k)) k += n;
      if (s_.compare(k, 6, "endraw") != 0) continue;
      k += 6;
      while (std::size_t n = space_at(s_, k)) k += n;
      std::string text = s_.substr(i, j - i);
      if (sign == '-') {
        text = rstrip_space(text);
      } else if (sign != '+') {
        const std::size_t nl = text.rfind('\n');
        const std::size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
        if (l_pos > 0 && all_space(std::string_view(text).substr(l_pos))) text.resize(l_pos);
      }
      if (!text.empty()) push(Token::Data, std::move(text), i);
      if (s_.compare(k, 3, "+%}") == 0) {
        k += 3;
      } else if (s_.compare(k, 3, "-%}") == 0) {
        k += 3;
        while (std::size_t n = space_at(s_, k)) k += n;
      } else if (s_.compare(k, 2, "%}") == 0) {
        k += 2;
        if (k < s_.size() && s_[k] == '\n') ++k;
      } else {
        fail("expected '%}' after 'endraw'", k);
      }
      line_starting_ = s_[k - 1] == '\n';
      pos_ = k;
      return true;
    }
    fail("Missing end of raw directive", open);
  }

  // Tokens inside {{ }} or {% %} up to the closing tag.
  void tag(bool variable) {
    std::vector<char> balance;
    while (true) {
      if (pos_ >= s_.size()) fail(variable ? "unexpected end of template, expected '}}'" : "unexpected end of template, expected '%}'", pos_);
      if (balance.empty() && try_end(variable)) return;
      if (std::size_t n = space_at(s_, pos_)) {
        while (std::size_t m = space_at(s_, pos_)) pos_ += m;
        line_starting_ = s_[pos_ - 1] == '\n';
        (void)n;
        continue;
      }
      line_starting_ = false;
      const char c = s_[pos_];
      if (is_digit(c)) {
        number();
      } else if (is_name_start(c)) {
        std::size_t e = pos_;
        while (e < s_.size() && is_name_char(s_[e])) ++e;
        push(Token::Name, s_.substr(pos_, e - pos_), pos_);
        pos_ = e;
      } else if (c == '\'' || c == '"') {
        string_literal();
      } else {
        static const char* const two[] = {"//", "**", "==", "!=", ">=", "<="};
        std::string op;
        for (const char* t : two)
          if (s_.compare(pos_, 2, t) == 0) op = t;
        if (op.empty() && std::strchr("+-/*%~[](){}><=.:|,;", c)) op = std::string(1, c);
        if (op.empty()) fail("unexpected char " + quote_input(s_.substr(pos_, 1)), pos_);
        if (op == "(" || op == "[" || op == "{") {
          balance.push_back(op == "(" ? ')' : op == "[" ? ']' : '}');
        } else if (op == ")" || op == "]" || op == "}") {
          if (balance.empty()) fail("unexpected '" + op + "'", pos_);
          if (balance.back() != op[0]) fail("unexpected '" + op + "', expected '" + std::string(1, balance.back()) + "'", pos_);
          balance.pop_back();
        }
        push(Token::Op, op, pos_);
        pos_ += op.size();
      }
    }
  }

  bool try_end(bool variable) {
    const char* close = variable ? "}}" : "%}";
    std::size_t at = pos_;
    if (!variable && s_.compare(at, 3, "+%}") == 0) {
      push(Token::BlockEnd, "", at);
      pos_ = at + 3;
      line_starting_ = false;
      return true;
    }
    if (s_[at] == '-' && s_.compare(at + 1, 2, close) == 0) {
      push(variable ? Token::VarEnd : Token::BlockEnd, "", at);
      pos_ = at + 3;
      while (std::size_t n = space_at(s_, pos_)) pos_ += n;
      line_starting_ = s_[pos_ - 1] == '\n';
      return true;
    }
    if (s_.compare(at, 2, close) == 0) {
      push(variable ? Token::VarEnd : Token::BlockEnd, "", at);
      pos_ = at + 2;
      if (!variable && pos_ < s_.size() && s_[pos_] == '\n') ++pos_;
      line_starting_ = s_[pos_ - 1] == '\n';
      return true;
    }
    return false;
  }

  void number() {
    const std::size_t start = pos_;
    auto digits = [&](std::size_t& i) {
      // (\d+_)*\d+
      const std::size_t b = i;
      while (i < s_.size() && (is_digit(s_[i]) || (s_[i] == '_' && i + 1 < s_.size() && is_digit(s_[i + 1]) && i > b))) ++i;
      return i > b;
    };
    std::size_t i = pos_;
    digits(i);
    bool is_float = false;
    std::size_t j = i;
    if (j < s_.size() && s_[j] == '.' && j + 1 < s_.size() && is_digit(s_[j + 1])) {
      ++j;
      digits(j);
      is_float = true;
      i = j;
    }
    if (i < s_.size() && (s_[i] == 'e' || s_[i] == 'E')) {
      std::size_t k = i + 1;
      if (k < s_.size() && (s_[k] == '+' || s_[k] == '-')) ++k;
      if (k < s_.size() && is_digit(s_[k])) {
        digits(k);
        is_float = true;
        i = k;
      }
    }
    std::string text;
    for (std::size_t k = start; k < i; ++k)
      if (s_[k] != '_') text.push_back(s_[k]);
    Token tok;
    tok.pos = pos_of(start);
    tok.text = text;
    if (is_float) {
      tok.type = Token::Float;
      tok.fval = std::stod(text);
    } else {
      tok.type = Token::Int;
      try {
        tok.ival = std::stoll(text);
      } catch (const std::exception&) {
        fail("integer literal " + quote_input(text) + " is out of the supported 64-bit range", start);
      }
    }
    out_.push_back(std::move(tok));
    pos_ = i;
  }

  // Python's unicode-escape decoding of a string literal's body.
  void string_literal() {
    const char q = s_[pos_];
    const std::size_t start = pos_;
    std::string out;
    std::size_t i = pos_ + 1;
    while (true) {
      if (i >= s_.size()) fail("unexpected end of string literal", start);
      const char c = s_[i];
      if (c == q) break;
      if (c != '\\') {
        out.push_back(c);
        ++i;
        continue;
      }
      if (i + 1 >= s_.size()) fail("unexpected end of string literal", start);
      const char e = s_[i + 1];
      i += 2;
      auto hex = [&](int n) {
        char32_t v = 0;
        for (int k = 0; k < n; ++k, ++i) {
          if (i >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i])))
            fail("truncated \\" + std::string(1, e) + " escape in a string literal", start);
          const char h = s_[i];
          v = v * 16 + char32_t(is_digit(h) ? h - '0' : (std::tolower(h) - 'a' + 10));
        }
        return v;
      };
      switch (e) {
        case '\n': break;
        case '\\': out.push_back('\\'); break;
        case '\'': out.push_back('\''); break;
        case '"': out.push_back('"'); break;
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        case 'x': append_utf8(out, hex(2)); break;
        case 'u': append_utf8(out, hex(4)); break;
        case 'U': {
          const char32_t v = hex(8);
          if (v > 0x10FFFF) fail("\\U escape out of range in a string literal", start);
          append_utf8(out, v);
          break;
        }
        case 'N': fail("\\N{...} escapes in string literals are not supported", start);
        default:
          if (e >= '0' && e <= '7') {
            char32_t v = char32_t(e - '0');
            for (int k = 0; k < 2 && i < s_.size() && s_[i] >= '0' && s_[i] <= '7'; ++k, ++i) v = v * 8 + char32_t(s_[i] - '0');
            append_utf8(out, v);
          } else {
            out.push_back('\\');
            out.push_back(e);
          }
      }
    }
    Token tok;
    tok.type = Token::String;
    tok.text = std::move(out);
    tok.pos = pos_of(start);
    out_.push_back(std::move(tok));
    pos_ = i + 1;
  }

  std::string s_;
  std::size_t pos_ = 0;
  bool line_starting_ = true;
  std::vector<Token> out_;
  std::size_t cursor_ = 0;
  Pos cur_pos_{1, 1};
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) {
  // Newlines normalised to \n, one trailing newline dropped (jinja2's keep_trailing_newline=False).
  std::string s;
  s.reserve(source.size());
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      s.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      s.push_back(source[i]);
    }
  }
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return Lexer(std::move(s)).run();
}

}  // namespace transformers::jinja::detail
