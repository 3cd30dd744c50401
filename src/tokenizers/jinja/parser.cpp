// Template parser: jinja2's grammar for the statements and expressions chat templates use.
// Expression precedence (lowest first), as jinja2.parser: conditional `x if c else y`, `or`, `and`,
// `not`, comparisons (== != < <= > >= in, not in), + -, ~, * / // %, **, unary - +, then a primary
// with postfixes (.name, [i], [a:b:c], (args)) and filters / tests (| f(args), is [not] t).
#include <set>

#include "tokenizers/jinja/ast.hpp"
#include "tokenizers/jinja/lexer.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/tokenizers/jinja.hpp"

namespace transformers::jinja::detail {

namespace {

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  std::shared_ptr<Program> run() {
    auto p = std::make_shared<Program>();
    std::string end;
    p->body = parse_body({}, end);
    return p;
  }

 private:
  const Token& cur() const { return t_[i_]; }
  const Token& peek(std::size_t n = 1) const { return t_[std::min(i_ + n, t_.size() - 1)]; }
  const Token& next() { return t_[i_ < t_.size() - 1 ? i_++ : i_]; }

  [[noreturn]] void fail(const std::string& msg, const Pos& p) { throw TemplateSyntaxError(msg, p.line, p.column); }
  [[noreturn]] void fail(const std::string& msg) { fail(msg, cur().pos); }

  static std::string describe(const Token& t) {
    switch (t.type) {
      case Token::Data: return "template data";
      case Token::VarBegin: return "'{{'";
      case Token::VarEnd: return "'}}'";
      case Token::BlockBegin: return "'{%'";
      case Token::BlockEnd: return "'%}'";
      case Token::Name: return "'" + t.text + "'";
      case Token::String: return "string " + quote_input(t.text);
      case Token::Int: case Token::Float: return "number " + t.text;
      case Token::Op: return "'" + t.text + "'";
      case Token::Eof: return "end of template";
    }
    return "token";
  }

  bool is_op(const char* op) const { return cur().type == Token::Op && cur().text == op; }
  bool is_name(const char* n) const { return cur().type == Token::Name && cur().text == n; }
  void expect_op(const char* op) {
    if (!is_op(op)) fail(std::string("expected '") + op + "', found " + describe(cur()));
    next();
  }
  std::string expect_name() {
    if (cur().type != Token::Name) fail("expected a name, found " + describe(cur()));
    return next().text;
  }
  void expect_block_end() {
    if (cur().type != Token::BlockEnd) fail("expected '%}', found " + describe(cur()));
    next();
  }

  // Statements until a {% tag %} named in `ends` (its name is returned in `end`, the tag name is
  // consumed, the rest of the tag is left to the caller).
  Body parse_body(const std::set<std::string>& ends, std::string& end) {
    Body body;
    while (true) {
      const Token& tok = cur();
      if (tok.type == Token::Eof) {
        if (!ends.empty()) {
          std::string names;
          for (const auto& e : ends) names += (names.empty() ? "'" : " or '") + e + "'";
          fail("unexpected end of template, expected " + names, tok.pos);
        }
        end.clear();
        return body;
      }
      if (tok.type == Token::Data) {
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Text;
        s->pos = tok.pos;
        s->text = tok.text;
        body.push_back(std::move(s));
        next();
      } else if (tok.type == Token::VarBegin) {
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Output;
        s->pos = tok.pos;
        next();
        s->expr = parse_tuple_expr();
        if (cur().type != Token::VarEnd) fail("expected '}}', found " + describe(cur()));
        next();
        body.push_back(std::move(s));
      } else if (tok.type == Token::BlockBegin) {
        next();
        if (cur().type != Token::Name) fail("expected a tag name, found " + describe(cur()));
        const std::string name = cur().text;
        if (ends.count(name)) {
          next();
          end = name;
          return body;
        }
        body.push_back(parse_statement());
      } else {
        fail("unexpected " + describe(tok));
      }
    }
  }

  StmtPtr parse_statement() {
    DepthGuard guard(*this);
    const Token& tok = cur();
    const std::string name = tok.text;
    auto s = std::make_unique<Stmt>();
    s->pos = tok.pos;
    next();
    if (name == "if") {
      s->kind = Stmt::If;
      s->conds.push_back(parse_expression());
      expect_block_end();
      while (true) {
        std::string end;
        Body b = parse_body({"elif", "else", "endif"}, end);
        s->bodies.push_back(std::move(b));
        if (end == "elif") {
          s->conds.push_back(parse_expression());
          expect_block_end();
        } else if (end == "else") {
          expect_block_end();
          s->else_body = parse_body({"endif"}, end);
          expect_block_end();
          break;
        } else {
          expect_block_end();
          break;
        }
      }
    } else if (name == "for") {
      s->kind = Stmt::For;
      s->target = parse_target(false);
      if (!is_name("in")) fail("expected 'in', found " + describe(cur()));
      next();
      s->expr = parse_tuple_expr(/*no_condexpr=*/true);
      if (is_name("if")) {
        next();
        s->cond = parse_expression();
      }
      if (is_name("recursive")) fail("recursive for loops are not supported");
      expect_block_end();
      std::string end;
      s->body = parse_body({"else", "endfor"}, end);
      if (end == "else") {
        expect_block_end();
        s->else_body = parse_body({"endfor"}, end);
      }
      expect_block_end();
    } else if (name == "set") {
      s->target = parse_target(true);
      if (is_op("=")) {
        next();
        s->kind = Stmt::Set;
        s->expr = parse_tuple_expr();
        expect_block_end();
      } else {
        if (!s->target.attr.empty() || s->target.names.size() != 1) fail("a block set assigns one name");
        s->kind = Stmt::SetBlock;
        if (is_op("|")) fail("filters on a block set are not supported");
        expect_block_end();
        std::string end;
        s->body = parse_body({"endset"}, end);
        expect_block_end();
      }
    } else if (name == "macro") {
      s->kind = Stmt::Macro;
      s->name = expect_name();
      parse_params(s->params);
      expect_block_end();
      std::string end;
      s->body = parse_body({"endmacro"}, end);
      if (cur().type == Token::Name) next();  // {% endmacro name %}
      expect_block_end();
    } else if (name == "call") {
      s->kind = Stmt::CallBlock;
      if (is_op("(")) parse_params(s->params);
      s->expr = parse_expression();
      if (s->expr->kind != Expr::Call) fail("expected a call after 'call'", s->expr->pos);
      expect_block_end();
      std::string end;
      s->body = parse_body({"endcall"}, end);
      expect_block_end();
    } else if (name == "break" || name == "continue") {
      s->kind = name == "break" ? Stmt::Break : Stmt::Continue;
      expect_block_end();
    } else if (name == "generation") {
      s->kind = Stmt::Generation;
      expect_block_end();
      std::string end;
      s->body = parse_body({"endgeneration"}, end);
      expect_block_end();
    } else if (name == "elif" || name == "else" || name.rfind("end", 0) == 0) {
      fail("unexpected '" + name + "' (no block is open that it closes)", s->pos);
    } else {
      fail("the '" + name + "' tag is not supported", s->pos);
    }
    return s;
  }

  void parse_params(std::vector<MacroParam>& params) {
    expect_op("(");
    while (!is_op(")")) {
      if (!params.empty()) expect_op(",");
      if (is_op(")")) break;
      MacroParam p;
      p.name = expect_name();
      if (is_op("=")) {
        next();
        p.default_value = parse_expression();
      } else if (!params.empty() && params.back().default_value) {
        fail("non-default argument follows default argument");
      }
      params.push_back(std::move(p));
    }
    next();
  }

  Target parse_target(bool allow_attr) {
    Target t;
    const bool paren = is_op("(");
    if (paren) next();
    t.names.push_back(expect_name());
    if (allow_attr && is_op(".")) {
      next();
      t.attr = expect_name();
      return t;
    }
    while (is_op(",")) {
      next();
      if (cur().type != Token::Name) break;
      t.names.push_back(expect_name());
    }
    if (paren) expect_op(")");
    return t;
  }

  // expression [, expression ...] (a tuple without parentheses)
  ExprPtr parse_tuple_expr(bool no_condexpr = false) {
    const Pos p = cur().pos;
    ExprPtr first = no_condexpr ? parse_or() : parse_expression();
    if (!is_op(",")) return first;
    auto t = node(Expr::TupleLit, p);
    t->args.push_back(std::move(first));
    while (is_op(",")) {
      next();
      if (cur().type == Token::VarEnd || cur().type == Token::BlockEnd || is_op(")") || is_name("if")) break;
      t->args.push_back(no_condexpr ? parse_or() : parse_expression());
    }
    return t;
  }

  static ExprPtr node(Expr::Kind k, const Pos& p) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->pos = p;
    return e;
  }

  // Nesting (expressions in brackets, blocks in blocks) is bounded so hostile input cannot
  // exhaust the stack of this recursive-descent parser.
  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > kMaxDepth) p.fail("template nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    ~DepthGuard() { --p.depth_; }
  };
  // Left-deep chains (a + b + c ..., x.y.z ..., a | f | g ...) deepen the tree one level per link:
  // each link counts against the same bound until its parse function returns.
  struct ChainGuard {
    Parser& p;
    int n = 0;
    explicit ChainGuard(Parser& parser) : p(parser) {}
    void step() {
      ++n;
      if (++p.depth_ > kMaxDepth) p.fail("expression nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    ~ChainGuard() { p.depth_ -= n; }
  };
  static constexpr int kMaxDepth = 256;

  ExprPtr parse_expression() {
    DepthGuard guard(*this);
    const Pos p = cur().pos;
    ExprPtr e = parse_or();
    ChainGuard chain(*this);
    while (is_name("if")) {
      chain.step();
      next();
      auto c = node(Expr::CondExpr, p);
      c->a = parse_or();
      c->b = std::move(e);
      if (is_name("else")) {
        next();
        c->c = parse_expression();
      }
      e = std::move(c);
    }
    return e;
  }

  ExprPtr binary(const char* op, ExprPtr l, ExprPtr r, const Pos& p) {
    auto b = node(Expr::Binary, p);
    b->name = op;
    b->a = std::move(l);
    b->b = std::move(r);
    return b;
  }

  ExprPtr parse_or() {
    ChainGuard chain(*this);
    const Pos p = cur().pos;
    ExprPtr l = parse_and();
    while (is_name("or")) {
      chain.step();
      next();
      l = binary("or", std::move(l), parse_and(), p);
    }
    return l;
  }
  ExprPtr parse_and() {
    ChainGuard chain(*this);
    const Pos p = cur().pos;
    ExprPtr l = parse_not();
    while (is_name("and")) {
      chain.step();
      next();
      l = binary("and", std::move(l), parse_not(), p);
    }
    return l;
  }
  ExprPtr parse_not() {
    DepthGuard guard(*this);
    if (is_name("not")) {
      const Pos p = cur().pos;
      next();
      auto u = node(Expr::Unary, p);
      u->name = "not";
      u->a = parse_not();
      return u;
    }
    return parse_compare();
  }
  ExprPtr parse_compare() {
    ChainGuard chain(*this);
    const Pos p = cur().pos;
    ExprPtr first = parse_math1();
    ExprPtr cmp;
    while (true) {
      chain.step();
      std::string op;
      if (cur().type == Token::Op && (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                                      cur().text == "<=" || cur().text == ">" || cur().text == ">=")) {
        op = next().text;
      } else if (is_name("in")) {
        next();
        op = "in";
      } else if (is_name("not") && peek().type == Token::Name && peek().text == "in") {
        next();
        next();
        op = "not in";
      } else {
        break;
      }
      if (!cmp) {
        cmp = node(Expr::Compare, p);
        cmp->a = std::move(first);
      }
      cmp->ops.push_back(op);
      cmp->args.push_back(parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(first);
  }
  ExprPtr parse_math1() {
    ChainGuard chain(*this);
    const Pos p = cur().pos;
    ExprPtr l = parse_concat();
    while (is_op("+") || is_op("-")) {
      chain.step();
      const std::string op = next().text;
      l = binary(op == "+" ? "+" : "-", std::move(l), parse_concat(), p);
    }
    return l;
  }
  ExprPtr parse_concat() {
    ChainGuard chain(*this);
    const Pos p = cur().pos;
    ExprPtr l = parse_math2();
    while (is_op("~")) {
      chain.step();
      next();
      l = binary("~", std::move(l), parse_math2(), p);
    }
    return l;
  }
  ExprPtr parse_math2() {
    ChainGuard chain(*this);
    const Pos p = cur().pos;
    ExprPtr l = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      chain.step();
      const std::string op = next().text;
      ExprPtr r = parse_pow();
      auto b = node(Expr::Binary, p);
      b->name = op;
      b->a = std::move(l);
      b->b = std::move(r);
      l = std::move(b);
    }
    return l;
  }
  ExprPtr parse_pow() {
    ChainGuard chain(*this);
    const Pos p = cur().pos;
    ExprPtr l = parse_unary(true);
    while (is_op("**")) {
      chain.step();
      next();
      l = binary("**", std::move(l), parse_unary(true), p);
    }
    return l;
  }
  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    const Pos p = cur().pos;
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      const std::string op = next().text;
      e = node(Expr::Unary, p);
      e->name = op;
      e->a = parse_unary(false);
    } else {
      e = parse_primary();
    }
    e = parse_postfix(std::move(e));
    if (with_filter) e = parse_filter_expr(std::move(e));
    return e;
  }

  ExprPtr parse_primary() {
    const Token& tok = cur();
    const Pos p = tok.pos;
    if (tok.type == Token::Name) {
      const std::string n = next().text;
      auto e = node(Expr::Literal, p);
      if (n == "true" || n == "True") e->value = Value(true);
      else if (n == "false" || n == "False") e->value = Value(false);
      else if (n == "none" || n == "None") e->value = Value(None{});
      else {
        e->kind = Expr::Name;
        e->name = n;
      }
      return e;
    }
    if (tok.type == Token::String) {
      std::string s = next().text;
      while (cur().type == Token::String) s += next().text;  // adjacent literals concatenate
      auto e = node(Expr::Literal, p);
      e->value = Value(std::move(s));
      return e;
    }
    if (tok.type == Token::Int || tok.type == Token::Float) {
      auto e = node(Expr::Literal, p);
      e->value = tok.type == Token::Int ? Value(tok.ival) : Value(tok.fval);
      next();
      return e;
    }
    if (is_op("(")) {
      next();
      if (is_op(")")) {
        next();
        return node(Expr::TupleLit, p);
      }
      ExprPtr first = parse_expression();
      if (is_op(")")) {
        next();
        return first;
      }
      auto t = node(Expr::TupleLit, p);
      t->args.push_back(std::move(first));
      while (is_op(",")) {
        next();
        if (is_op(")")) break;
        t->args.push_back(parse_expression());
      }
      expect_op(")");
      return t;
    }
    if (is_op("[")) {
      next();
      auto l = node(Expr::ListLit, p);
      while (!is_op("]")) {
        if (!l->args.empty()) expect_op(",");
        if (is_op("]")) break;
        l->args.push_back(parse_expression());
      }
      next();
      return l;
    }
    if (is_op("{")) {
      next();
      auto d = node(Expr::DictLit, p);
      while (!is_op("}")) {
        if (!d->args.empty()) expect_op(",");
        if (is_op("}")) break;
        d->args.push_back(parse_expression());
        expect_op(":");
        d->args.push_back(parse_expression());
      }
      next();
      return d;
    }
    fail("unexpected " + describe(tok));
  }

  ExprPtr parse_postfix(ExprPtr e) {
    ChainGuard chain(*this);
    while (true) {
      chain.step();
      const Pos p = cur().pos;
      if (is_op(".")) {
        next();
        auto g = node(Expr::GetAttr, p);
        if (cur().type == Token::Name) {
          g->name = next().text;
        } else if (cur().type == Token::Int) {
          g->kind = Expr::GetItem;
          auto idx = node(Expr::Literal, cur().pos);
          idx->value = Value(cur().ival);
          next();
          g->b = std::move(idx);
        } else {
          fail("expected an attribute name after '.', found " + describe(cur()));
        }
        g->a = std::move(e);
        e = std::move(g);
      } else if (is_op("[")) {
        next();
        e = parse_subscript(std::move(e), p);
      } else if (is_op("(")) {
        e = parse_call(std::move(e), p);
      } else {
        return e;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr obj, const Pos& p) {
    ExprPtr parts[3];
    int n = 0;
    bool is_slice = false;
    while (true) {
      if (is_op(":")) {
        is_slice = true;
        if (++n > 2) fail("too many ':' in a slice");
        next();
        continue;
      }
      if (is_op("]")) break;
      if (parts[n]) fail("expected ']' or ':', found " + describe(cur()));
      parts[n] = parse_expression();
      if (!is_slice && is_op(",")) fail("tuple subscripts are not supported");
    }
    next();
    if (!is_slice) {
      if (!parts[0]) fail("empty subscript", p);
      auto g = node(Expr::GetItem, p);
      g->a = std::move(obj);
      g->b = std::move(parts[0]);
      return g;
    }
    auto s = node(Expr::Slice, p);
    s->a = std::move(obj);
    s->args.push_back(std::move(parts[0]));
    s->args.push_back(std::move(parts[1]));
    s->args.push_back(std::move(parts[2]));
    return s;
  }

  void parse_call_args(Expr& call) {
    expect_op("(");
    while (!is_op(")")) {
      if (!call.args.empty() || !call.kwargs.empty()) expect_op(",");
      if (is_op(")")) break;
      if (is_op("*") || is_op("**")) fail("*args / **kwargs in calls are not supported");
      if (cur().type == Token::Name && peek().type == Token::Op && peek().text == "=") {
        std::string k = next().text;
        next();
        call.kwargs.emplace_back(std::move(k), parse_expression());
      } else {
        if (!call.kwargs.empty()) fail("positional argument follows keyword argument");
        call.args.push_back(parse_expression());
      }
    }
    next();
  }

  ExprPtr parse_call(ExprPtr fn, const Pos& p) {
    auto c = node(Expr::Call, p);
    c->a = std::move(fn);
    parse_call_args(*c);
    return c;
  }

  ExprPtr parse_filter_expr(ExprPtr e) {
    ChainGuard chain(*this);
    while (true) {
      chain.step();
      const Pos p = cur().pos;
      if (is_op("|")) {
        next();
        auto f = node(Expr::Filter, p);
        f->name = expect_name();
        while (is_op(".")) {
          next();
          f->name += "." + expect_name();
        }
        f->a = std::move(e);
        if (is_op("(")) parse_call_args(*f);
        e = std::move(f);
      } else if (is_name("is")) {
        next();
        auto t = node(Expr::Test, p);
        if (is_name("not")) {
          next();
          t->negated = true;
        }
        t->name = expect_name();
        while (is_op(".")) {
          next();
          t->name += "." + expect_name();
        }
        t->a = std::move(e);
        if (is_op("(")) {
          parse_call_args(*t);
        } else if ((cur().type == Token::Name || cur().type == Token::String || cur().type == Token::Int ||
                    cur().type == Token::Float || is_op("(") || is_op("[") || is_op("{")) &&
                   !is_name("else") && !is_name("or") && !is_name("and")) {
          if (is_name("is")) fail("You cannot chain multiple tests with is");
          ExprPtr arg = parse_postfix(parse_primary());
          t->args.push_back(std::move(arg));
        }
        e = std::move(t);
      } else if (is_op("(")) {
        e = parse_call(std::move(e), p);
      } else {
        return e;
      }
    }
  }

  std::vector<Token> t_;
  std::size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

std::shared_ptr<Program> parse_template(std::string_view source) { return Parser(tokenize(source)).run(); }

}  // namespace transformers::jinja::detail
