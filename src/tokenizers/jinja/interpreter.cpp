// Statement execution and expression evaluation with Python's operator semantics.
#include "tokenizers/jinja/interpreter.hpp"

#include <cmath>

#include "transformers/core/quote.hpp"
#include "transformers/tokenizers/jinja.hpp"

namespace transformers::jinja::detail {

namespace {

// Macro calls nest at most this deep (a recursive macro would otherwise exhaust the stack).
constexpr std::size_t kMaxMacroDepth = 200;
// Output of one render is capped (a template cannot grow memory without bound).
constexpr std::size_t kMaxOutputBytes = std::size_t(64) << 20;

[[noreturn]] void type_error(const std::string& msg) { throw TemplateError(msg); }

// Rethrows an error raised without a position with `p`'s.
template <typename F>
auto at(const Pos& p, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const TemplateError& e) {
    if (e.line() != 0) throw;
    if (dynamic_cast<const UndefinedError*>(&e)) throw UndefinedError(e.message(), p.line, p.column);
    if (dynamic_cast<const UnsupportedTemplateError*>(&e)) throw UnsupportedTemplateError(e.message(), p.line, p.column);
    if (dynamic_cast<const TemplateSyntaxError*>(&e)) throw TemplateSyntaxError(e.message(), p.line, p.column);
    throw TemplateError(e.message(), p.line, p.column);
  }
}

void check_overflow(bool overflow) {
  if (overflow) throw UnsupportedTemplateError("integer overflow: results beyond 64 bits are not supported");
}

// String building is bounded like the output (doubling a string in a loop would not be).
std::string concat(const std::string& a, const std::string& b) {
  if (a.size() + b.size() > kMaxOutputBytes) throw UnsupportedTemplateError("a string longer than 64 MiB");
  return a + b;
}

double py_floor_mod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

Value arith(const std::string& op, const Value& a, const Value& b) {
  check_defined(a);
  check_defined(b);
  const std::string unsupported =
      "unsupported operand type(s) for " + op + ": '" + type_name(a) + "' and '" + type_name(b) + "'";
  if (a.is_number() && b.is_number()) {
    const bool fl = a.is_float() || b.is_float();
    if (op == "/") {
      if (b.as_double() == 0) type_error("division by zero");
      return Value(a.as_double() / b.as_double());
    }
    if (op == "**") {
      if (!fl && b.as_int() >= 0) {
        int64_t r = 1, base = a.as_int(), e = b.as_int();
        while (e > 0) {  // by squaring: the exponent can be large
          if (e & 1) check_overflow(__builtin_mul_overflow(r, base, &r));
          e >>= 1;
          if (e) check_overflow(__builtin_mul_overflow(base, base, &base));
        }
        return Value(r);
      }
      return Value(std::pow(a.as_double(), b.as_double()));
    }
    if (fl) {
      const double x = a.as_double(), y = b.as_double();
      if (op == "+") return Value(x + y);
      if (op == "-") return Value(x - y);
      if (op == "*") return Value(x * y);
      if (y == 0) type_error(op == "//" ? "float floor division by zero" : "float modulo");
      if (op == "//") return Value(std::floor(x / y));
      return Value(py_floor_mod(x, y));
    }
    const int64_t x = a.as_int(), y = b.as_int();
    int64_t r = 0;
    if (op == "+" || op == "-" || op == "*") {
      check_overflow(op == "+" ? __builtin_add_overflow(x, y, &r) : op == "-" ? __builtin_sub_overflow(x, y, &r) : __builtin_mul_overflow(x, y, &r));
      return Value(r);
    }
    if (y == 0) type_error(op == "//" ? "integer division or modulo by zero" : "integer modulo by zero");
    int64_t q = x / y, m = x % y;
    if (m != 0 && ((m < 0) != (y < 0))) {
      --q;
      m += y;
    }
    return Value(op == "//" ? q : m);
  }
  if (op == "+") {
    if (a.is_string() && b.is_string()) return Value(concat(a.str(), b.str()));
    if (a.is_list() && b.is_list() && a.list().is_tuple == b.list().is_tuple) {
      std::vector<Value> items = a.list().items;
      items.insert(items.end(), b.list().items.begin(), b.list().items.end());
      return make_list(std::move(items), a.list().is_tuple);
    }
    if (a.is_string()) type_error("can only concatenate str (not \"" + type_name(b) + "\") to str");
    if (a.is_list() && !a.list().is_tuple) type_error("can only concatenate list (not \"" + type_name(b) + "\") to list");
    type_error(unsupported);
  }
  if (op == "*") {
    const Value* seq = (a.is_string() || a.is_list()) ? &a : (b.is_string() || b.is_list()) ? &b : nullptr;
    const Value* n = seq == &a ? &b : &a;
    if (seq && (n->is_int() || n->is_bool())) {
      const int64_t times = std::max<int64_t>(0, n->as_int());
      const std::size_t unit = seq->is_string() ? seq->str().size() : seq->list().items.size();
      if (unit && uint64_t(times) > kMaxOutputBytes / unit)
        throw UnsupportedTemplateError("repetition result too large");
      if (seq->is_string()) {
        std::string r;
        for (int64_t i = 0; i < times; ++i) r += seq->str();
        return Value(std::move(r));
      }
      std::vector<Value> items;
      for (int64_t i = 0; i < times; ++i) items.insert(items.end(), seq->list().items.begin(), seq->list().items.end());
      return make_list(std::move(items), seq->list().is_tuple);
    }
    type_error(unsupported);
  }
  if (op == "%" && a.is_string()) throw UnsupportedTemplateError("printf-style string formatting ('%' on a string) is not supported");
  type_error(unsupported);
}

bool contains(const Value& container, const Value& item) {
  if (container.is_undefined()) return false;
  if (container.is_string()) {
    check_defined(item);
    if (!item.is_string()) type_error("'in <string>' requires string as left operand, not " + type_name(item));
    return container.str().find(item.str()) != std::string::npos;
  }
  if (container.is_list()) {
    for (const auto& v : iterate(container))
      if (equals(v, item)) return true;
    return false;
  }
  if (container.is_dict()) {
    if (container.dict().is_namespace) type_error("argument of type 'Namespace' is not iterable");
    return item.is_string() && container.dict().find(item.str()) != nullptr;
  }
  type_error("argument of type '" + type_name(container) + "' is not iterable");
}

bool compare(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return equals(a, b);
  if (op == "!=") return !equals(a, b);
  if (op == "in") return contains(b, a);
  if (op == "not in") return !contains(b, a);
  if (op == "<") return less_than(a, b);
  if (op == ">") return less_than(b, a);
  if (op == "<=") return less_than(a, b) || (equals(a, b) && !a.is_undefined());
  return less_than(b, a) || (equals(a, b) && !a.is_undefined());
}

Value slice(const Value& obj, const Value& start_v, const Value& stop_v, const Value& step_v) {
  check_defined(obj);
  auto as_opt_int = [](const Value& v, const char* what) -> std::optional<int64_t> {
    if (v.is_undefined() || v.is_none()) return std::nullopt;
    if (!v.is_int() && !v.is_bool()) type_error(std::string("slice ") + what + " must be an integer or None");
    return v.as_int();
  };
  const int64_t step = as_opt_int(step_v, "step").value_or(1);
  if (step == 0) type_error("slice step cannot be zero");
  std::vector<std::string> chars;
  const std::vector<Value>* items = nullptr;
  int64_t n = 0;
  if (obj.is_string()) {
    chars = code_points(obj.str());
    n = int64_t(chars.size());
  } else if (obj.is_list() && obj.list().python_type.empty()) {
    items = &obj.list().items;
    n = int64_t(items->size());
  } else {
    type_error("'" + type_name(obj) + "' object is not subscriptable");
  }
  // Python's slice.indices().
  auto clamp = [&](std::optional<int64_t> v, int64_t dflt) {
    if (!v) return dflt;
    int64_t x = *v;
    if (x < 0) {
      x += n;
      if (x < 0) x = step < 0 ? -1 : 0;
    } else if (x >= n) {
      x = step < 0 ? n - 1 : n;
    }
    return x;
  };
  const int64_t start = clamp(as_opt_int(start_v, "start"), step < 0 ? n - 1 : 0);
  const int64_t stop = clamp(as_opt_int(stop_v, "stop"), step < 0 ? -1 : n);
  std::string s;
  std::vector<Value> out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (items) out.push_back((*items)[std::size_t(i)]);
    else s += chars[std::size_t(i)];
  }
  if (items) return make_list(std::move(out), obj.list().is_tuple);
  return Value(std::move(s));
}

void assign(Frame& f, const Target& t, const Value& v) {
  if (t.names.size() == 1) {
    f.vars[t.names[0]] = v;
    return;
  }
  std::vector<Value> parts = iterate(v);
  if (parts.size() != t.names.size())
    type_error(parts.size() < t.names.size() ? "not enough values to unpack (expected " + std::to_string(t.names.size()) + ", got " + std::to_string(parts.size()) + ")"
                                             : "too many values to unpack (expected " + std::to_string(t.names.size()) + ")");
  for (std::size_t i = 0; i < parts.size(); ++i) f.vars[t.names[i]] = parts[i];
}

}  // namespace

const Value* Frame::lookup(const std::string& name) const {
  for (const Frame* f = this; f; f = f->parent.get()) {
    auto it = f->vars.find(name);
    if (it != f->vars.end()) return &it->second;
  }
  return nullptr;
}

void check_defined(const Value& v) {
  if (v.is_undefined()) throw UndefinedError(std::get<Undefined>(v.v).hint.empty() ? "value is undefined" : std::get<Undefined>(v.v).hint);
}

bool less_than(const Value& a, const Value& b) {
  check_defined(a);
  check_defined(b);
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_double() < b.as_double();
    return a.as_int() < b.as_int();
  }
  if (a.is_string() && b.is_string()) return a.str() < b.str();  // UTF-8 byte order = code point order
  if (a.is_list() && b.is_list()) {
    const auto &x = a.list().items, &y = b.list().items;
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equals(x[i], y[i])) return less_than(x[i], y[i]);
    }
    return x.size() < y.size();
  }
  type_error("'<' not supported between instances of '" + type_name(a) + "' and '" + type_name(b) + "'");
}

std::vector<Value> iterate(const Value& v) {
  if (v.is_undefined()) return {};
  if (v.is_list()) {
    if (v.list().is_iterator()) return std::move(v.list().items);  // a generator runs once
    return v.list().items;
  }
  if (v.is_dict() && !v.dict().is_namespace) {
    std::vector<Value> keys;
    for (const auto& kv : v.dict().items) keys.emplace_back(kv.first);
    return keys;
  }
  if (v.is_string()) {
    std::vector<Value> out;
    for (auto& c : code_points(v.str())) out.emplace_back(std::move(c));
    return out;
  }
  type_error("'" + type_name(v) + "' object is not iterable");
}

int64_t length_of(const Value& v) {
  if (v.is_undefined()) return 0;
  if (v.is_string()) return int64_t(code_points(v.str()).size());
  if (v.is_list() && !v.list().is_iterator()) return int64_t(v.list().items.size());
  if (v.is_dict() && !v.dict().is_namespace) return int64_t(v.dict().items.size());
  type_error("object of type '" + type_name(v) + "' has no len()");
}

Value get_attr(const Value& obj, const std::string& name) {
  check_defined(obj);
  if (obj.is_dict()) {
    Dict& d = obj.dict();
    if (!d.is_namespace) {
      Value m = bound_method(obj, name);
      if (!m.is_undefined()) return m;
    }
    if (const Value* v = d.find(name)) return *v;
    return Value(Undefined{"'" + std::string(d.is_namespace ? "Namespace" : "dict") + " object' has no attribute '" + name + "'"});
  }
  Value m = bound_method(obj, name);
  if (!m.is_undefined()) return m;
  return Value(Undefined{"'" + type_name(obj) + " object' has no attribute '" + name + "'"});
}

Value get_item(const Value& obj, const Value& key) {
  check_defined(obj);
  if (obj.is_dict() && !obj.dict().is_namespace) {
    if (key.is_string()) {
      if (const Value* v = obj.dict().find(key.str())) return *v;
      return get_attr(obj, key.str());
    }
    return Value(Undefined{"'dict object' has no element " + repr(key)});
  }
  if (((obj.is_list() && obj.list().python_type.empty()) || obj.is_string()) && (key.is_int() || key.is_bool())) {
    int64_t i = key.as_int();
    if (obj.is_list()) {
      const auto& items = obj.list().items;
      if (i < 0) i += int64_t(items.size());
      if (i >= 0 && i < int64_t(items.size())) return items[std::size_t(i)];
    } else {
      const auto chars = code_points(obj.str());
      if (i < 0) i += int64_t(chars.size());
      if (i >= 0 && i < int64_t(chars.size())) return Value(chars[std::size_t(i)]);
    }
    return Value(Undefined{"'" + type_name(obj) + " object' has no element " + repr(key)});
  }
  if (key.is_string()) return get_attr(obj, key.str());
  return Value(Undefined{"'" + type_name(obj) + " object' has no element " + repr(key)});
}

Value call_value(Interpreter& in, const Value& fn, CallArgs& args) {
  check_defined(fn);
  if (!fn.is_callable()) type_error("'" + type_name(fn) + "' object is not callable");
  return fn.callable().fn(in, args);
}

std::string Interpreter::render_body(const Body& body, std::shared_ptr<Frame> parent) {
  std::string buf;
  std::string* saved_out = out;
  auto saved_frame = frame;
  frame = std::make_shared<Frame>();
  frame->parent = std::move(parent);
  out = &buf;
  try {
    exec_body(body);
  } catch (...) {
    out = saved_out;
    frame = saved_frame;
    throw;
  }
  out = saved_out;
  frame = saved_frame;
  return buf;
}

Interpreter::Flow Interpreter::exec_body(const Body& body) {
  for (const auto& s : body) {
    const Flow f = exec(*s);
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

Interpreter::Flow Interpreter::exec(const Stmt& s) {
  switch (s.kind) {
    case Stmt::Text:
    case Stmt::Output: {
      const std::string text = s.kind == Stmt::Text ? s.text : to_str(eval(*s.expr));
      if (out->size() + text.size() > kMaxOutputBytes) throw UnsupportedTemplateError("rendered output exceeds 64 MiB", s.pos.line, s.pos.column);
      *out += text;
      break;
    }
    case Stmt::If: {
      for (std::size_t i = 0; i < s.conds.size(); ++i)
        if (truthy(eval(*s.conds[i]))) return exec_body(s.bodies[i]);
      return exec_body(s.else_body);
    }
    case Stmt::For: {
      const Value seq = eval(*s.expr);
      std::vector<Value> items = at(s.expr->pos, [&] { return iterate(seq); });
      auto loop_frame_parent = frame;
      if (s.cond) {
        // The `if` filter runs before the loop: loop.length counts what passes.
        std::vector<Value> kept;
        for (const auto& item : items) {
          frame = std::make_shared<Frame>();
          frame->parent = loop_frame_parent;
          at(s.pos, [&] { assign(*frame, s.target, item); });
          if (truthy(eval(*s.cond))) kept.push_back(item);
        }
        frame = loop_frame_parent;
        items = std::move(kept);
      }
      if (items.empty()) {
        frame = loop_frame_parent;
        return exec_body(s.else_body);
      }
      const int64_t n = int64_t(items.size());
      Flow result = Flow::Normal;
      try {
        for (int64_t i = 0; i < n; ++i) {
          frame = std::make_shared<Frame>();
          frame->parent = loop_frame_parent;
          at(s.pos, [&] { assign(*frame, s.target, items[std::size_t(i)]); });
          Value loop = make_dict();
          Dict& L = loop.dict();
          L.items.reserve(12);
          L.items.emplace_back("index", Value(i + 1));
          L.items.emplace_back("index0", Value(i));
          L.items.emplace_back("revindex", Value(n - i));
          L.items.emplace_back("revindex0", Value(n - i - 1));
          L.items.emplace_back("first", Value(i == 0));
          L.items.emplace_back("last", Value(i == n - 1));
          L.items.emplace_back("length", Value(n));
          L.items.emplace_back("depth", Value(1));
          L.items.emplace_back("depth0", Value(0));
          L.items.emplace_back("previtem", i > 0 ? items[std::size_t(i - 1)] : Value(Undefined{"there is no previous item"}));
          L.items.emplace_back("nextitem", i + 1 < n ? items[std::size_t(i + 1)] : Value(Undefined{"there is no next item"}));
          L.items.emplace_back("cycle", make_callable("cycle", [i](Interpreter&, CallArgs& a) -> Value {
                                 if (a.args.empty()) type_error("no items for cycling given");
                                 return a.args[std::size_t(i) % a.args.size()];
                               }));
          frame->vars["loop"] = loop;
          const Flow f = exec_body(s.body);
          if (f == Flow::Break) break;
        }
      } catch (...) {
        frame = loop_frame_parent;
        throw;
      }
      frame = loop_frame_parent;
      return result;
    }
    case Stmt::Set: {
      const Value v = eval(*s.expr);
      if (!s.target.attr.empty()) {
        const Value* ns = frame->lookup(s.target.names[0]);
        if (!ns || !ns->is_dict() || !ns->dict().is_namespace)
          throw TemplateError("cannot assign attribute on non-namespace object", s.pos.line, s.pos.column);
        ns->dict().set(s.target.attr, v);
      } else {
        at(s.pos, [&] { assign(*frame, s.target, v); });
      }
      break;
    }
    case Stmt::SetBlock: {
      std::string text = render_body(s.body, frame);
      frame->vars[s.target.names[0]] = Value(std::move(text));
      break;
    }
    case Stmt::Macro: {
      const Stmt* def = &s;
      std::weak_ptr<Frame> weak = frame;
      // The macro sees the frame it was defined in (held weakly: that frame holds the macro).
      frame->vars[s.name] = make_callable(s.name, [def, weak](Interpreter& in, CallArgs& a) -> Value {
        auto defining = weak.lock();
        if (!defining) throw UnsupportedTemplateError("macro '" + def->name + "' called after its scope ended");
        if (in.depth >= kMaxMacroDepth) throw UnsupportedTemplateError("macro calls nested deeper than 200");
        if (a.args.size() > def->params.size())
          type_error("macro '" + def->name + "' takes not more than " + std::to_string(def->params.size()) + " argument(s)");
        auto f = std::make_shared<Frame>();
        f->parent = defining;
        auto saved = in.frame;
        in.frame = f;
        ++in.depth;
        std::string text;
        try {
          Value caller;
          for (const auto& [k, v] : a.kwargs) {
            if (k == "caller") {
              caller = v;
              continue;
            }
            bool known = false;
            for (const auto& p : def->params) known = known || p.name == k;
            if (!known) type_error("macro '" + def->name + "' takes no keyword argument '" + k + "'");
          }
          for (std::size_t i = 0; i < def->params.size(); ++i) {
            const auto& p = def->params[i];
            Value v;
            if (a.has(i, p.name.c_str())) {
              v = a.get(i, p.name.c_str());
            } else if (p.default_value) {
              v = in.eval(*p.default_value);
            } else {
              v = Value(Undefined{"parameter '" + p.name + "' was not provided"});
            }
            f->vars[p.name] = v;
          }
          if (!caller.is_undefined()) f->vars["caller"] = caller;
          std::string buf;
          std::string* saved_out = in.out;
          in.out = &buf;
          try {
            in.exec_body(def->body);
          } catch (...) {
            in.out = saved_out;
            throw;
          }
          in.out = saved_out;
          text = std::move(buf);
        } catch (...) {
          in.frame = saved;
          --in.depth;
          throw;
        }
        in.frame = saved;
        --in.depth;
        return Value(std::move(text));
      });
      break;
    }
    case Stmt::CallBlock: {
      const Stmt* def = &s;
      std::shared_ptr<Frame> here = frame;
      Value caller = make_callable("caller", [def, here](Interpreter& in, CallArgs& a) -> Value {
        auto f = std::make_shared<Frame>();
        f->parent = here;
        for (std::size_t i = 0; i < def->params.size(); ++i) {
          const auto& p = def->params[i];
          f->vars[p.name] = a.has(i, p.name.c_str()) ? a.get(i, p.name.c_str())
                            : p.default_value         ? in.eval(*p.default_value)
                                                      : Value(Undefined{"parameter '" + p.name + "' was not provided"});
        }
        return Value(in.render_body(def->body, f));
      });
      const Expr& call = *s.expr;
      Value fn = eval(*call.a);
      CallArgs args;
      for (const auto& e : call.args) args.args.push_back(eval(*e));
      for (const auto& [k, e] : call.kwargs) args.kwargs.emplace_back(k, eval(*e));
      args.kwargs.emplace_back("caller", caller);
      *out += to_str(at(call.pos, [&] { return call_value(*this, fn, args); }));
      break;
    }
    case Stmt::Break: return Flow::Break;
    case Stmt::Continue: return Flow::Continue;
    case Stmt::Generation: {
      *out += render_body(s.body, frame);
      break;
    }
  }
  return Flow::Normal;
}

Value Interpreter::eval(const Expr& e) {
  switch (e.kind) {
    case Expr::Literal: return e.value;
    case Expr::Name: {
      if (const Value* v = frame->lookup(e.name)) return *v;
      return Value(Undefined{"'" + e.name + "' is undefined"});
    }
    case Expr::GetAttr: {
      const Value obj = eval(*e.a);
      return at(e.pos, [&] { return get_attr(obj, e.name); });
    }
    case Expr::GetItem: {
      const Value obj = eval(*e.a);
      const Value key = eval(*e.b);
      return at(e.pos, [&] { return get_item(obj, key); });
    }
    case Expr::Slice: {
      const Value obj = eval(*e.a);
      Value parts[3];
      for (int i = 0; i < 3; ++i)
        if (e.args[std::size_t(i)]) parts[i] = eval(*e.args[std::size_t(i)]);
      return at(e.pos, [&] { return slice(obj, parts[0], parts[1], parts[2]); });
    }
    case Expr::Call: {
      const Value fn = eval(*e.a);
      CallArgs args;
      for (const auto& x : e.args) args.args.push_back(eval(*x));
      for (const auto& [k, x] : e.kwargs) args.kwargs.emplace_back(k, eval(*x));
      return at(e.pos, [&] { return call_value(*this, fn, args); });
    }
    case Expr::Filter: {
      const Value input = eval(*e.a);
      CallArgs args;
      for (const auto& x : e.args) args.args.push_back(eval(*x));
      for (const auto& [k, x] : e.kwargs) args.kwargs.emplace_back(k, eval(*x));
      return at(e.pos, [&] { return apply_filter(*this, e.name, input, args); });
    }
    case Expr::Test: {
      const Value input = eval(*e.a);
      CallArgs args;
      for (const auto& x : e.args) args.args.push_back(eval(*x));
      for (const auto& [k, x] : e.kwargs) args.kwargs.emplace_back(k, eval(*x));
      const bool r = at(e.pos, [&] { return apply_test(*this, e.name, input, args); });
      return Value(e.negated ? !r : r);
    }
    case Expr::Unary: {
      const Value v = eval(*e.a);
      if (e.name == "not") return Value(!truthy(v));
      return at(e.pos, [&] {
        check_defined(v);
        if (!v.is_number()) type_error("bad operand type for unary " + e.name + ": '" + type_name(v) + "'");
        if (e.name == "+") return v.is_bool() ? Value(v.as_int()) : v;
        if (v.is_float()) return Value(-v.as_double());
        if (v.as_int() == INT64_MIN) throw UnsupportedTemplateError("integer overflow: results beyond 64 bits are not supported");
        return Value(-v.as_int());
      });
    }
    case Expr::Binary: {
      if (e.name == "and") {
        Value l = eval(*e.a);
        return truthy(l) ? eval(*e.b) : l;
      }
      if (e.name == "or") {
        Value l = eval(*e.a);
        return truthy(l) ? l : eval(*e.b);
      }
      const Value l = eval(*e.a);
      const Value r = eval(*e.b);
      if (e.name == "~") return at(e.pos, [&] { return Value(concat(to_str(l), to_str(r))); });
      return at(e.pos, [&] { return arith(e.name, l, r); });
    }
    case Expr::Compare: {
      Value l = eval(*e.a);
      for (std::size_t i = 0; i < e.ops.size(); ++i) {
        Value r = eval(*e.args[i]);
        if (!at(e.pos, [&] { return compare(e.ops[i], l, r); })) return Value(false);
        l = std::move(r);
      }
      return Value(true);
    }
    case Expr::CondExpr: {
      if (truthy(eval(*e.a))) return eval(*e.b);
      if (e.c) return eval(*e.c);
      return Value(Undefined{"the inline if-expression on line " + std::to_string(e.pos.line) + " evaluated to false and no else section was defined."});
    }
    case Expr::ListLit:
    case Expr::TupleLit: {
      std::vector<Value> items;
      for (const auto& x : e.args) items.push_back(eval(*x));
      return make_list(std::move(items), e.kind == Expr::TupleLit);
    }
    case Expr::DictLit: {
      Value d = make_dict();
      for (std::size_t i = 0; i + 1 < e.args.size(); i += 2) {
        const Value k = eval(*e.args[i]);
        if (!k.is_string()) throw UnsupportedTemplateError("dict literal keys other than strings are not supported", e.pos.line, e.pos.column);
        d.dict().set(k.str(), eval(*e.args[i + 1]));
      }
      return d;
    }
  }
  return Value();
}

}  // namespace transformers::jinja::detail
