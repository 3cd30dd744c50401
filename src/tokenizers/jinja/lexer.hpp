#pragma once
// Splits a template into text and tag tokens the way jinja2's lexer does with trim_blocks=True and
// lstrip_blocks=True (whitespace control `-` / `+`, comments dropped, {% raw %} kept as text).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizers/jinja/ast.hpp"

namespace transformers::jinja::detail {

struct Token {
  enum Type { Data, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Int, Float, Op, Eof };
  Type type;
  std::string text;  // Data: the text; Name / Op: the name or operator; String: the unescaped value
  int64_t ival = 0;
  double fval = 0;
  Pos pos;
};

std::vector<Token> tokenize(std::string_view source);

}  // namespace transformers::jinja::detail
