// Python semantics of the template values: truth, str(), repr(), ==, json.dumps.
#include "tokenizers/jinja/value.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include <utf8proc.h>

#include "tokenizers/unicode.hpp"
#include "transformers/tokenizers/jinja.hpp"

namespace transformers::jinja::detail {

using tokenizers_detail::append_utf8;
using tokenizers_detail::next_cp;

Value* Dict::find(const std::string& key) {
  for (auto& [k, v] : items)
    if (k == key) return &v;
  return nullptr;
}
const Value* Dict::find(const std::string& key) const {
  for (const auto& [k, v] : items)
    if (k == key) return &v;
  return nullptr;
}
void Dict::set(const std::string& key, Value v) {
  if (Value* p = find(key)) {
    *p = std::move(v);
  } else {
    items.emplace_back(key, std::move(v));
  }
}

Value CallArgs::get(std::size_t pos, const char* name, Value fallback) const {
  if (pos < args.size()) return args[pos];
  for (const auto& [k, v] : kwargs)
    if (k == name) return v;
  return fallback;
}
bool CallArgs::has(std::size_t pos, const char* name) const {
  if (pos < args.size()) return true;
  for (const auto& kv : kwargs)
    if (kv.first == name) return true;
  return false;
}

Value make_list(std::vector<Value> items, bool tuple) {
  auto l = std::make_shared<List>();
  l->items = std::move(items);
  l->is_tuple = tuple;
  return Value(std::move(l));
}
Value make_iterable(std::vector<Value> items, std::string python_type) {
  Value v = make_list(std::move(items));
  v.list().python_type = std::move(python_type);
  return v;
}
Value make_dict() { return Value(std::make_shared<Dict>()); }
Value make_callable(std::string name, std::function<Value(Interpreter&, CallArgs&)> fn) {
  auto c = std::make_shared<Callable>();
  c->name = std::move(name);
  c->fn = std::move(fn);
  return Value(std::move(c));
}

Value from_json(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null: return Value(None{});
    case nlohmann::ordered_json::value_t::boolean: return Value(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer: return Value(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      const uint64_t u = j.get<uint64_t>();
      if (u > uint64_t(INT64_MAX)) throw UnsupportedTemplateError("an integer above 2**63-1 in the template variables is not supported");
      return Value(int64_t(u));
    }
    case nlohmann::ordered_json::value_t::number_float: return Value(j.get<double>());
    case nlohmann::ordered_json::value_t::string: return Value(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json(e));
      return make_list(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      Value d = make_dict();
      for (auto it = j.begin(); it != j.end(); ++it) d.dict().items.emplace_back(it.key(), from_json(it.value()));
      return d;
    }
    default: throw UnsupportedTemplateError("a binary JSON value cannot be a template variable");
  }
}

bool truthy(const Value& x) {
  return std::visit(
      [](const auto& v) -> bool {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Undefined> || std::is_same_v<T, None>) return false;
        else if constexpr (std::is_same_v<T, bool>) return v;
        else if constexpr (std::is_same_v<T, int64_t>) return v != 0;
        else if constexpr (std::is_same_v<T, double>) return v != 0.0;
        else if constexpr (std::is_same_v<T, std::string>) return !v.empty();
        else if constexpr (std::is_same_v<T, std::shared_ptr<List>>) return v->is_iterator() || !v->items.empty();
        else if constexpr (std::is_same_v<T, std::shared_ptr<Dict>>) return v->is_namespace || !v->items.empty();
        else return true;
      },
      x.v);
}

std::string float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  // Shortest round-trip digits in scientific form, then Python's layout: fixed notation when the
  // decimal exponent is in [-4, 16), scientific with a two-digit exponent otherwise.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string s(buf, res.ptr);
  std::string sign;
  if (s[0] == '-') {
    sign = "-";
    s.erase(0, 1);
  }
  const auto e = s.find('e');
  const int exp10 = std::stoi(s.substr(e + 1));
  std::string digits;
  for (char c : s.substr(0, e))
    if (c != '.') digits.push_back(c);
  const int decpt = exp10 + 1;  // value = 0.digits * 10^decpt
  std::string out;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out = "0." + std::string(size_t(-decpt), '0') + digits;
    } else if (size_t(decpt) >= digits.size()) {
      out = digits + std::string(size_t(decpt) - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, size_t(decpt)) + "." + digits.substr(size_t(decpt));
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    const int x = decpt - 1;
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", x < 0 ? '-' : '+', std::abs(x));
    out += eb;
  }
  return sign + out;
}

bool is_py_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::vector<std::string> code_points(const std::string& s) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    next_cp(s, i);
    out.push_back(s.substr(start, i - start));
  }
  return out;
}

namespace {

// str.isprintable() for one code point: not in Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs (except the space).
bool py_printable(char32_t c) {
  if (c == ' ') return true;
  switch (utf8proc_category(utf8proc_int32_t(c))) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS: case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP: case UTF8PROC_CATEGORY_ZS:
      return false;
    default: return true;
  }
}

std::string repr_str(const std::string& s) {
  const bool has_single = s.find('\'') != std::string::npos;
  const bool has_double = s.find('"') != std::string::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (std::size_t i = 0; i < s.size();) {
    const char32_t c = next_cp(s, i);
    char buf[16];
    if (c == char32_t(quote) || c == '\\') {
      out.push_back('\\');
      out.push_back(char(c));
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      std::snprintf(buf, sizeof buf, "\\x%02x", unsigned(c));
      out += buf;
    } else if (c < 0x7F || py_printable(c)) {
      append_utf8(out, c);
    } else if (c <= 0xFF) {
      std::snprintf(buf, sizeof buf, "\\x%02x", unsigned(c));
      out += buf;
    } else if (c <= 0xFFFF) {
      std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(c));
      out += buf;
    } else {
      std::snprintf(buf, sizeof buf, "\\U%08x", unsigned(c));
      out += buf;
    }
  }
  out.push_back(quote);
  return out;
}

std::string repr_list(const List& l) {
  if (l.is_iterator() || l.python_type == "range")
    throw UnsupportedTemplateError("printing a " + l.python_type + " object (Python prints its memory address or bounds) is not supported");
  if (!l.python_type.empty()) {
    List plain;
    plain.items = l.items;
    return l.python_type + "(" + repr_list(plain) + ")";
  }
  std::string out = l.is_tuple ? "(" : "[";
  for (std::size_t i = 0; i < l.items.size(); ++i) {
    if (i) out += ", ";
    out += repr(l.items[i]);
  }
  if (l.is_tuple && l.items.size() == 1) out += ",";
  out += l.is_tuple ? ")" : "]";
  return out;
}

std::string repr_dict(const Dict& d) {
  std::string out = "{";
  for (std::size_t i = 0; i < d.items.size(); ++i) {
    if (i) out += ", ";
    out += repr_str(d.items[i].first) + ": " + repr(d.items[i].second);
  }
  out += "}";
  return d.is_namespace ? "<Namespace " + out + ">" : out;
}

}  // namespace

std::string to_str(const Value& x) {
  if (x.is_string()) return x.str();
  if (x.is_undefined()) return "";
  return repr(x);
}

std::string repr(const Value& x) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Undefined>) return "Undefined";
        else if constexpr (std::is_same_v<T, None>) return "None";
        else if constexpr (std::is_same_v<T, bool>) return v ? "True" : "False";
        else if constexpr (std::is_same_v<T, int64_t>) return std::to_string(v);
        else if constexpr (std::is_same_v<T, double>) return float_repr(v);
        else if constexpr (std::is_same_v<T, std::string>) return repr_str(v);
        else if constexpr (std::is_same_v<T, std::shared_ptr<List>>) return repr_list(*v);
        else if constexpr (std::is_same_v<T, std::shared_ptr<Dict>>) return repr_dict(*v);
        else return "<function " + v->name + ">";
      },
      x.v);
}

bool equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_double() == b.as_double();
    return a.as_int() == b.as_int();
  }
  if (a.v.index() != b.v.index()) return false;
  if (a.is_undefined() || a.is_none()) return true;
  if (a.is_string()) return a.str() == b.str();
  if (a.is_list()) {
    const auto &x = a.list(), &y = b.list();
    if (!x.python_type.empty() || !y.python_type.empty()) return &x == &y;
    if (x.is_tuple != y.is_tuple || x.items.size() != y.items.size()) return false;
    for (std::size_t i = 0; i < x.items.size(); ++i)
      if (!equals(x.items[i], y.items[i])) return false;
    return true;
  }
  if (a.is_dict()) {
    const auto &x = a.dict(), &y = b.dict();
    if (x.is_namespace || y.is_namespace) return &x == &y;
    if (x.items.size() != y.items.size()) return false;
    for (const auto& [k, v] : x.items) {
      const Value* o = y.find(k);
      if (!o || !equals(v, *o)) return false;
    }
    return true;
  }
  return &a.callable() == &b.callable();
}

std::string type_name(const Value& x) {
  if (x.is_undefined()) return "Undefined";
  if (x.is_none()) return "NoneType";
  if (x.is_bool()) return "bool";
  if (x.is_int()) return "int";
  if (x.is_float()) return "float";
  if (x.is_string()) return "str";
  if (x.is_list()) return !x.list().python_type.empty() ? x.list().python_type : x.list().is_tuple ? "tuple" : "list";
  if (x.is_dict()) return x.dict().is_namespace ? "Namespace" : "dict";
  return "function";
}

namespace {

void json_string(std::string& out, const std::string& s, bool ensure_ascii) {
  out.push_back('"');
  char buf[16];
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    const char32_t c = next_cp(s, i);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || (ensure_ascii && c >= 0x7F)) {
          if (c >= 0x10000) {
            const char32_t v = c - 0x10000;
            std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", unsigned(0xD800 + (v >> 10)), unsigned(0xDC00 + (v & 0x3FF)));
          } else {
            std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(c));
          }
          out += buf;
        } else {
          out.append(s, start, i - start);
        }
    }
  }
  out.push_back('"');
}

void json_value(std::string& out, const Value& x, const JsonDumpOptions& o, int level) {
  auto newline = [&](int lvl) {
    out.push_back('\n');
    for (int i = 0; i < lvl; ++i) out += o.indent;
  };
  if (x.is_none()) {
    out += "null";
  } else if (x.is_bool()) {
    out += std::get<bool>(x.v) ? "true" : "false";
  } else if (x.is_int()) {
    out += std::to_string(x.as_int());
  } else if (x.is_float()) {
    const double d = x.as_double();
    out += std::isnan(d) ? "NaN" : std::isinf(d) ? (d > 0 ? "Infinity" : "-Infinity") : float_repr(d);
  } else if (x.is_string()) {
    json_string(out, x.str(), o.ensure_ascii);
  } else if (x.is_list() && x.list().python_type.empty()) {
    const auto& items = x.list().items;
    if (items.empty()) {
      out += "[]";
      return;
    }
    out.push_back('[');
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out += o.item_separator;
      if (o.has_indent) newline(level + 1);
      json_value(out, items[i], o, level + 1);
    }
    if (o.has_indent) newline(level);
    out.push_back(']');
  } else if (x.is_dict() && !x.dict().is_namespace) {
    std::vector<const std::pair<std::string, Value>*> items;
    for (const auto& kv : x.dict().items) items.push_back(&kv);
    if (items.empty()) {
      out += "{}";
      return;
    }
    if (o.sort_keys)
      std::stable_sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->first < b->first; });
    out.push_back('{');
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out += o.item_separator;
      if (o.has_indent) newline(level + 1);
      json_string(out, items[i]->first, o.ensure_ascii);
      out += o.key_separator;
      json_value(out, items[i]->second, o, level + 1);
    }
    if (o.has_indent) newline(level);
    out.push_back('}');
  } else {
    throw TemplateError("Object of type " + type_name(x) + " is not JSON serializable");
  }
}

}  // namespace

std::string json_dumps(const Value& x, const JsonDumpOptions& options) {
  std::string out;
  json_value(out, x, options, 0);
  return out;
}

}  // namespace transformers::jinja::detail
