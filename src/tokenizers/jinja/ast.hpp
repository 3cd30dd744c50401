#pragma once
// The parsed template: statements and expressions, each with its template line and column (1-based)
// so render-time errors can point at the source.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizers/jinja/value.hpp"

namespace transformers::jinja::detail {

struct Pos {
  std::size_t line = 0, column = 0;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum Kind {
    Literal,    // value
    Name,       // name
    GetAttr,    // a.name
    GetItem,    // a[b]
    Slice,      // a[b:c:d] (b, c, d may be null)
    Call,       // a(args, kwargs)
    Filter,     // a | name(args, kwargs)
    Test,       // a is [not] name(args)
    Unary,      // op a  ("-", "+", "not")
    Binary,     // a op b ("+", "-", "*", "/", "//", "%", "**", "~", "and", "or")
    Compare,    // a (ops[i] args[i])...
    CondExpr,   // b if a else c
    ListLit,    // [args]
    TupleLit,   // (args)
    DictLit,    // {kwargs-like pairs of expressions: args[2i] : args[2i+1]}
  };
  Kind kind;
  Pos pos;
  Value value;
  std::string name;
  ExprPtr a, b, c;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;
  bool negated = false;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

// A for loop's or set's target: one name, a namespace attribute (ns.x) or a tuple of names.
struct Target {
  std::vector<std::string> names;  // several: tuple unpacking
  std::string attr;                // non-empty: names[0].attr (namespace assignment)
};

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // null: required
};

struct Stmt {
  enum Kind {
    Text,       // text
    Output,     // {{ expr }}
    If,         // conds[i] -> bodies[i]; else_body
    For,        // target in expr [if cond]: body / else_body
    Set,        // target = expr
    SetBlock,   // {% set target %}body{% endset %}
    Macro,      // name(params): body
    CallBlock,  // {% call(params) expr %}body{% endcall %}
    Break,
    Continue,
    Generation,  // {% generation %}body{% endgeneration %}: renders body (AssistantTracker)
  };
  Kind kind;
  Pos pos;
  std::string text;
  ExprPtr expr, cond;
  Target target;
  std::vector<ExprPtr> conds;
  std::vector<Body> bodies;
  Body body, else_body;
  std::string name;
  std::vector<MacroParam> params;
};

struct Program {
  Body body;
};

// Parses a template with 4.51's environment settings (trim_blocks, lstrip_blocks, no trailing
// newline kept). Throws TemplateSyntaxError.
std::shared_ptr<Program> parse_template(std::string_view source);

}  // namespace transformers::jinja::detail
