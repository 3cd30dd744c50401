#pragma once
// The values a Jinja template computes with, with Python's semantics: None, bool, int, float, str
// (UTF-8, indexed by code point), list / tuple (shared, as Python's references), dict (insertion
// order, string keys), callables (macros, bound methods, globals) and Jinja's Undefined.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace transformers::jinja::detail {

struct Value;
struct Interpreter;

struct Undefined {
  std::string hint;  // the message an operation on it raises ("'x' is undefined")
};
struct None {};
struct List {
  std::vector<Value> items;
  bool is_tuple = false;
  // Non-empty: what Python would hold instead of a list. "generator" / "list_reverseiterator"
  // (what jinja2's map, select*, reject*, unique, items, batch and reverse filters return): truthy,
  // no len(), iterated once, not printable reproducibly, not JSON; "dict_items" / "dict_keys" /
  // "dict_values" / "range": have len(), print as Python does (range: refused), not JSON.
  std::string python_type;
  bool is_iterator() const { return python_type == "generator" || python_type == "list_reverseiterator"; }
};
struct Dict {
  std::vector<std::pair<std::string, Value>> items;
  bool is_namespace = false;  // namespace(): attributes assignable with {% set ns.x = ... %}
  Value* find(const std::string& key);
  const Value* find(const std::string& key) const;
  void set(const std::string& key, Value v);
};

struct CallArgs;
struct Callable {
  std::string name;
  std::function<Value(Interpreter&, CallArgs&)> fn;
};

struct Value {
  std::variant<Undefined, None, bool, int64_t, double, std::string, std::shared_ptr<List>, std::shared_ptr<Dict>,
               std::shared_ptr<Callable>>
      v;

  Value() : v(Undefined{}) {}
  Value(None n) : v(n) {}
  Value(Undefined u) : v(std::move(u)) {}
  Value(bool b) : v(b) {}
  Value(int64_t i) : v(i) {}
  Value(int i) : v(int64_t(i)) {}
  Value(double d) : v(d) {}
  Value(std::string s) : v(std::move(s)) {}
  Value(const char* s) : v(std::string(s)) {}
  Value(std::shared_ptr<List> l) : v(std::move(l)) {}
  Value(std::shared_ptr<Dict> d) : v(std::move(d)) {}
  Value(std::shared_ptr<Callable> c) : v(std::move(c)) {}

  bool is_undefined() const { return std::holds_alternative<Undefined>(v); }
  bool is_none() const { return std::holds_alternative<None>(v); }
  bool is_bool() const { return std::holds_alternative<bool>(v); }
  bool is_int() const { return std::holds_alternative<int64_t>(v); }
  bool is_float() const { return std::holds_alternative<double>(v); }
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return std::holds_alternative<std::string>(v); }
  bool is_list() const { return std::holds_alternative<std::shared_ptr<List>>(v); }
  bool is_dict() const { return std::holds_alternative<std::shared_ptr<Dict>>(v); }
  bool is_callable() const { return std::holds_alternative<std::shared_ptr<Callable>>(v); }

  const std::string& str() const { return std::get<std::string>(v); }
  List& list() const { return *std::get<std::shared_ptr<List>>(v); }
  Dict& dict() const { return *std::get<std::shared_ptr<Dict>>(v); }
  Callable& callable() const { return *std::get<std::shared_ptr<Callable>>(v); }
  int64_t as_int() const { return is_bool() ? int64_t(std::get<bool>(v)) : std::get<int64_t>(v); }
  double as_double() const { return is_float() ? std::get<double>(v) : double(as_int()); }
};

struct CallArgs {
  std::vector<Value> args;
  std::vector<std::pair<std::string, Value>> kwargs;
  // The argument at `pos` or keyword `name`; `fallback` when neither was given.
  Value get(std::size_t pos, const char* name, Value fallback = Value()) const;
  bool has(std::size_t pos, const char* name) const;
};

Value make_list(std::vector<Value> items, bool tuple = false);
// A list standing for a Python generator / view of type `python_type` (see List).
Value make_iterable(std::vector<Value> items, std::string python_type);
Value make_dict();
Value make_callable(std::string name, std::function<Value(Interpreter&, CallArgs&)> fn);
Value from_json(const nlohmann::ordered_json& j);

// Python's bool(x), str(x), repr(x), x == y, type(x).__name__.
bool truthy(const Value& x);
std::string to_str(const Value& x);
std::string repr(const Value& x);
bool equals(const Value& a, const Value& b);
std::string type_name(const Value& x);
// Python's float.__repr__ (shortest round-trip digits, 'r' format rules).
std::string float_repr(double d);

// json.dumps(x, ensure_ascii, indent, separators, sort_keys) as Python writes it. `indent`: empty
// for None, else the per-level indent string. Throws TemplateError for values JSON cannot hold.
struct JsonDumpOptions {
  bool ensure_ascii = false;
  bool has_indent = false;
  std::string indent;
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
};
std::string json_dumps(const Value& x, const JsonDumpOptions& options);

// Code-point helpers for Python's str indexing.
std::vector<std::string> code_points(const std::string& s);
bool is_py_space(char32_t c);  // str.isspace() / \s

}  // namespace transformers::jinja::detail
