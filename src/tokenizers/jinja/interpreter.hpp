#pragma once
// Evaluates a parsed template. Scoping as jinja2: a for loop iteration, a macro call and a block
// set each get a fresh frame (assignments inside do not leak out; namespace() objects carry state
// across), `if` does not open one; macros see their defining frame at call time.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizers/jinja/ast.hpp"
#include "tokenizers/jinja/value.hpp"

namespace transformers::jinja::detail {

struct Frame {
  std::unordered_map<std::string, Value> vars;
  std::shared_ptr<Frame> parent;
  const Value* lookup(const std::string& name) const;
};

struct Interpreter {
  std::shared_ptr<Frame> frame;
  std::string* out = nullptr;
  std::size_t depth = 0;  // macro recursion depth

  enum class Flow { Normal, Break, Continue };
  Flow exec_body(const Body& body);
  Flow exec(const Stmt& s);
  Value eval(const Expr& e);

  // Renders `body` in a fresh child frame of `parent` and returns the text.
  std::string render_body(const Body& body, std::shared_ptr<Frame> parent);
};

// Attribute / item access with jinja2's sandboxed semantics (missing -> Undefined).
Value get_attr(const Value& obj, const std::string& name);
Value get_item(const Value& obj, const Value& key);
// Python iteration: list items, dict keys, string characters; Undefined is empty.
std::vector<Value> iterate(const Value& v);
// The value's length (len()); Undefined is 0.
int64_t length_of(const Value& v);
// Python's a < b (TypeError for unorderable types).
bool less_than(const Value& a, const Value& b);
// Raises the UndefinedError an operation on `v` raises when it is Undefined.
void check_defined(const Value& v);
Value call_value(Interpreter& in, const Value& fn, CallArgs& args);

// Filters, tests and globals (builtins.cpp). Unknown names raise UnsupportedTemplateError.
Value apply_filter(Interpreter& in, const std::string& name, const Value& input, CallArgs& args);
bool apply_test(Interpreter& in, const std::string& name, const Value& input, CallArgs& args);
bool has_test(const std::string& name);
bool has_filter(const std::string& name);
void add_globals(Frame& f);
// Methods of str / dict / list bound to `self` (nullopt-like Undefined when there is none).
Value bound_method(const Value& self, const std::string& name);

}  // namespace transformers::jinja::detail
