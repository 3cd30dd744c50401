// jinja2's built-in filters and tests, Python's str / dict / list methods, and the globals of
// transformers 4.51's chat template environment (range, dict, namespace, raise_exception,
// strftime_now). Behaviour follows jinja2 3.1 (filters.py / tests.py) and CPython.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <unordered_map>

#include <utf8proc.h>

#include "tokenizers/jinja/interpreter.hpp"
#include "tokenizers/unicode.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/tokenizers/jinja.hpp"

namespace transformers::jinja::detail {

namespace {

using tokenizers_detail::append_utf8;
using tokenizers_detail::next_cp;

[[noreturn]] void type_error(const std::string& msg) { throw TemplateError(msg); }

const std::string& need_str(const Value& v, const char* what) {
  check_defined(v);
  if (!v.is_string()) type_error(std::string(what) + " expects a string, got '" + type_name(v) + "'");
  return v.str();
}

int64_t need_int(const Value& v, const char* what) {
  check_defined(v);
  if (!v.is_int() && !v.is_bool()) type_error(std::string(what) + " expects an integer, got '" + type_name(v) + "'");
  return v.as_int();
}

// ---- string helpers with CPython's semantics -------------------------------------------------

std::string map_case(const std::string& s, bool upper) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const char32_t c = next_cp(s, i);
    const auto m = upper ? utf8proc_toupper(utf8proc_int32_t(c)) : utf8proc_tolower(utf8proc_int32_t(c));
    append_utf8(out, char32_t(m));
  }
  return out;
}

bool is_cased_letter(char32_t c) {
  const auto cat = utf8proc_category(utf8proc_int32_t(c));
  return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT;
}

std::string py_title(const std::string& s) {
  std::string out;
  bool prev_cased = false;
  for (std::size_t i = 0; i < s.size();) {
    const char32_t c = next_cp(s, i);
    const auto m = prev_cased ? utf8proc_tolower(utf8proc_int32_t(c)) : utf8proc_totitle(utf8proc_int32_t(c));
    append_utf8(out, char32_t(m));
    prev_cased = is_cased_letter(c);
  }
  return out;
}

std::string py_capitalize(const std::string& s) {
  std::string out;
  bool first = true;
  for (std::size_t i = 0; i < s.size();) {
    const char32_t c = next_cp(s, i);
    append_utf8(out, char32_t(first ? utf8proc_totitle(utf8proc_int32_t(c)) : utf8proc_tolower(utf8proc_int32_t(c))));
    first = false;
  }
  return out;
}

// str.strip / lstrip / rstrip with optional characters (None: whitespace).
std::string py_strip(const std::string& s, const Value& chars, bool left, bool right) {
  std::vector<std::string> cps = code_points(s);
  std::vector<char32_t> set;
  const bool ws = chars.is_undefined() || chars.is_none();
  if (!ws) {
    const std::string& c = need_str(chars, "strip");
    for (std::size_t i = 0; i < c.size();) set.push_back(next_cp(c, i));
  }
  auto strip_it = [&](const std::string& cp) {
    std::size_t i = 0;
    const char32_t c = next_cp(cp, i);
    return ws ? is_py_space(c) : std::find(set.begin(), set.end(), c) != set.end();
  };
  std::size_t b = 0, e = cps.size();
  if (left)
    while (b < e && strip_it(cps[b])) ++b;
  if (right)
    while (e > b && strip_it(cps[e - 1])) --e;
  std::string out;
  for (std::size_t i = b; i < e; ++i) out += cps[i];
  return out;
}

Value py_split(const std::string& s, const Value& sep_v, const Value& maxsplit_v, bool from_right) {
  int64_t maxsplit = (maxsplit_v.is_undefined() || maxsplit_v.is_none()) ? -1 : need_int(maxsplit_v, "split");
  std::vector<Value> parts;
  if (sep_v.is_undefined() || sep_v.is_none()) {
    // Runs of whitespace; leading / trailing whitespace gives no empty strings.
    std::vector<std::pair<std::size_t, std::size_t>> words;
    std::size_t i = 0, start = std::string::npos;
    while (i < s.size()) {
      const std::size_t at = i;
      const char32_t c = next_cp(s, i);
      if (is_py_space(c)) {
        if (start != std::string::npos) words.emplace_back(start, at), start = std::string::npos;
      } else if (start == std::string::npos) {
        start = at;
      }
    }
    if (start != std::string::npos) words.emplace_back(start, s.size());
    if (maxsplit >= 0 && int64_t(words.size()) > maxsplit + 1) {
      if (from_right) {
        const std::size_t keep = words.size() - std::size_t(maxsplit);
        std::string head = py_strip(s.substr(0, words[keep - 1].second), Value(), true, false);
        parts.emplace_back(head);
        for (std::size_t k = keep; k < words.size(); ++k) parts.emplace_back(s.substr(words[k].first, words[k].second - words[k].first));
      } else {
        for (int64_t k = 0; k < maxsplit; ++k) parts.emplace_back(s.substr(words[std::size_t(k)].first, words[std::size_t(k)].second - words[std::size_t(k)].first));
        parts.emplace_back(py_strip(s.substr(words[std::size_t(maxsplit)].first), Value(), false, true));
      }
    } else {
      for (auto [b, e] : words) parts.emplace_back(s.substr(b, e - b));
    }
    return make_list(std::move(parts));
  }
  const std::string& sep = need_str(sep_v, "split");
  if (sep.empty()) type_error("empty separator");
  if (!from_right) {
    std::size_t pos = 0;
    while (maxsplit != 0) {
      const std::size_t f = s.find(sep, pos);
      if (f == std::string::npos) break;
      parts.emplace_back(s.substr(pos, f - pos));
      pos = f + sep.size();
      if (maxsplit > 0) --maxsplit;
    }
    parts.emplace_back(s.substr(pos));
    return make_list(std::move(parts));
  }
  std::vector<Value> rev;
  std::size_t end = s.size();
  while (maxsplit != 0 && end >= sep.size()) {
    const std::size_t f = s.rfind(sep, end - sep.size());
    if (f == std::string::npos) break;
    rev.emplace_back(s.substr(f + sep.size(), end - f - sep.size()));
    end = f;
    if (maxsplit > 0) --maxsplit;
  }
  rev.emplace_back(s.substr(0, end));
  std::reverse(rev.begin(), rev.end());
  return make_list(std::move(rev));
}

std::string py_replace(const std::string& s, const std::string& old, const std::string& rep, int64_t count) {
  std::string out;
  if (old.empty()) {
    // Python inserts `rep` between every character (and at both ends).
    const auto cps = code_points(s);
    int64_t n = 0;
    for (std::size_t i = 0; i <= cps.size(); ++i) {
      if (count < 0 || n < count) out += rep, ++n;
      if (i < cps.size()) out += cps[i];
    }
    return out;
  }
  std::size_t pos = 0;
  int64_t n = 0;
  while (count < 0 || n < count) {
    const std::size_t f = s.find(old, pos);
    if (f == std::string::npos) break;
    out.append(s, pos, f - pos);
    out += rep;
    pos = f + old.size();
    ++n;
  }
  out.append(s, pos, std::string::npos);
  return out;
}

bool affix_match(const std::string& s, const Value& affix, bool prefix) {
  auto one = [&](const Value& a) {
    const std::string& x = need_str(a, prefix ? "startswith" : "endswith");
    if (x.size() > s.size()) return false;
    return prefix ? s.compare(0, x.size(), x) == 0 : s.compare(s.size() - x.size(), x.size(), x) == 0;
  };
  if (affix.is_list() && affix.list().is_tuple) {
    for (const auto& a : affix.list().items)
      if (one(a)) return true;
    return false;
  }
  return one(affix);
}

// str.format with positional {} / {0} and keyword {name} fields, no format specs.
std::string py_format(const std::string& fmt, CallArgs& a) {
  std::string out;
  std::size_t auto_idx = 0;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    const char c = fmt[i];
    if (c == '{' && i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out.push_back('{');
      ++i;
    } else if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') {
      out.push_back('}');
      ++i;
    } else if (c == '{') {
      const std::size_t e = fmt.find('}', i);
      if (e == std::string::npos) type_error("Single '{' encountered in format string");
      const std::string field = fmt.substr(i + 1, e - i - 1);
      if (field.find_first_of(":!.[") != std::string::npos)
        throw UnsupportedTemplateError("str.format field " + quote_input(field) + " (specs, conversions, attributes) is not supported");
      Value v;
      if (field.empty()) {
        if (auto_idx >= a.args.size()) type_error("Replacement index " + std::to_string(auto_idx) + " out of range for positional args tuple");
        v = a.args[auto_idx++];
      } else if (std::all_of(field.begin(), field.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
        const std::size_t k = std::stoul(field);
        if (k >= a.args.size()) type_error("Replacement index " + field + " out of range for positional args tuple");
        v = a.args[k];
      } else {
        bool found = false;
        for (const auto& [k, x] : a.kwargs)
          if (k == field) v = x, found = true;
        if (!found) type_error("KeyError: '" + field + "'");
      }
      out += to_str(v);
      i = e;
    } else if (c == '}') {
      type_error("Single '}' encountered in format string");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Value string_method(const std::string& s, const std::string& name, CallArgs& a) {
  if (name == "strip") return Value(py_strip(s, a.get(0, "chars"), true, true));
  if (name == "lstrip") return Value(py_strip(s, a.get(0, "chars"), true, false));
  if (name == "rstrip") return Value(py_strip(s, a.get(0, "chars"), false, true));
  if (name == "split") return py_split(s, a.get(0, "sep"), a.get(1, "maxsplit"), false);
  if (name == "rsplit") return py_split(s, a.get(0, "sep"), a.get(1, "maxsplit"), true);
  if (name == "upper") return Value(map_case(s, true));
  if (name == "lower") return Value(map_case(s, false));
  if (name == "title") return Value(py_title(s));
  if (name == "capitalize") return Value(py_capitalize(s));
  if (name == "startswith") return Value(affix_match(s, a.get(0, "prefix"), true));
  if (name == "endswith") return Value(affix_match(s, a.get(0, "suffix"), false));
  if (name == "replace") {
    const Value cnt = a.get(2, "count");
    return Value(py_replace(s, need_str(a.get(0, "old"), "replace"), need_str(a.get(1, "new"), "replace"),
                            cnt.is_undefined() ? -1 : need_int(cnt, "replace")));
  }
  if (name == "format") return Value(py_format(s, a));
  if (name == "join") {
    std::string out;
    bool first = true;
    for (const auto& v : iterate(a.get(0, "iterable"))) {
      if (!first) out += s;
      out += need_str(v, "str.join");
      first = false;
    }
    return Value(out);
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
    const std::string& sub = need_str(a.get(0, "sub"), name.c_str());
    const std::size_t f = (name == "find" || name == "index") ? s.find(sub) : s.rfind(sub);
    if (f == std::string::npos) {
      if (name == "index" || name == "rindex") type_error("substring not found");
      return Value(int64_t(-1));
    }
    return Value(int64_t(code_points(s.substr(0, f)).size()));
  }
  if (name == "count") {
    const std::string& sub = need_str(a.get(0, "sub"), "count");
    if (sub.empty()) return Value(int64_t(code_points(s).size() + 1));
    int64_t n = 0;
    for (std::size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
    return Value(n);
  }
  if (name == "splitlines") {
    std::vector<Value> lines;
    std::size_t b = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\n' || s[i] == '\r') {
        lines.emplace_back(s.substr(b, i - b));
        if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
        b = i + 1;
      }
    }
    if (b < s.size()) lines.emplace_back(s.substr(b));
    return make_list(std::move(lines));
  }
  auto all_cp = [&](auto pred) {
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size();)
      if (!pred(next_cp(s, i))) return false;
    return true;
  };
  if (name == "isdigit") return Value(all_cp([](char32_t c) { return c >= '0' && c <= '9'; }));
  if (name == "isspace") return Value(all_cp([](char32_t c) { return is_py_space(c); }));
  if (name == "isalpha") return Value(all_cp([](char32_t c) {
    const auto cat = utf8proc_category(utf8proc_int32_t(c));
    return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
  }));
  if (name == "islower") return Value(map_case(s, false) == s && map_case(s, true) != s);
  if (name == "isupper") return Value(map_case(s, true) == s && map_case(s, false) != s);
  throw UnsupportedTemplateError("str." + name + "() is not supported");
}

const char* const kStringMethods[] = {"strip", "lstrip", "rstrip", "split", "rsplit", "upper", "lower", "title",
                                      "capitalize", "startswith", "endswith", "replace", "format", "join", "find",
                                      "rfind", "index", "rindex", "count", "splitlines", "isdigit", "isspace",
                                      "isalpha", "islower", "isupper"};

Value items_list(const Dict& d) {
  std::vector<Value> out;
  for (const auto& [k, v] : d.items) out.push_back(make_list({Value(k), v}, true));
  return make_list(std::move(out));
}

// ---- filters ---------------------------------------------------------------------------------

// Looks up `attribute` ("a.b" or "0") in `item` as jinja2's make_attrgetter does.
Value attr_path(const Value& item, const Value& attribute) {
  if (attribute.is_int()) return get_item(item, attribute);
  const std::string& path = need_str(attribute, "attribute");
  Value v = item;
  std::size_t b = 0;
  while (true) {
    const std::size_t e = path.find('.', b);
    const std::string part = path.substr(b, e == std::string::npos ? std::string::npos : e - b);
    const bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    v = numeric ? get_item(v, Value(int64_t(std::stoll(part)))) : get_item(v, Value(part));
    if (e == std::string::npos) return v;
    b = e + 1;
  }
}

// select / reject / selectattr / rejectattr.
Value select_like(Interpreter& in, const Value& seq, CallArgs& a, bool by_attr, bool keep_when) {
  std::size_t pos = 0;
  Value attr;
  if (by_attr) {
    if (a.args.empty()) type_error("Missing parameter for attribute name");
    attr = a.args[0];
    pos = 1;
  }
  std::string test;
  CallArgs test_args;
  if (a.args.size() > pos) {
    test = need_str(a.args[pos], "select");
    test_args.args.assign(a.args.begin() + long(pos) + 1, a.args.end());
    test_args.kwargs = a.kwargs;
  }
  std::vector<Value> out;
  for (const auto& item : iterate(seq)) {
    const Value v = by_attr ? attr_path(item, attr) : item;
    const bool r = test.empty() ? truthy(v) : apply_test(in, test, v, test_args);
    if (r == keep_when) out.push_back(item);
  }
  return make_iterable(std::move(out), "generator");
}

// sort / unique / min / max key: attribute, then lower-cased strings unless case_sensitive.
Value sort_key(const Value& item, const Value& attribute, bool case_sensitive) {
  Value v = (attribute.is_undefined() || attribute.is_none()) ? item : attr_path(item, attribute);
  if (!case_sensitive && v.is_string()) return Value(map_case(v.str(), false));
  return v;
}

// min / max: the first extreme item (by attribute, case-insensitively unless case_sensitive).
Value extreme(const Value& v, CallArgs& a, bool want_max) {
  const bool cs = truthy(a.get(0, "case_sensitive", Value(false)));
  const Value attr = a.get(1, "attribute", Value(None{}));
  auto items = iterate(v);
  if (items.empty()) return Value(Undefined{"No aggregated item, sequence was empty."});
  Value best = items[0];
  for (const auto& x : items) {
    const Value kx = sort_key(x, attr, cs), kb = sort_key(best, attr, cs);
    if (want_max ? less_than(kb, kx) : less_than(kx, kb)) best = x;
  }
  return best;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

using FilterFn = Value (*)(Interpreter&, const Value&, CallArgs&);

const std::unordered_map<std::string, FilterFn>& filters() {
  static const std::unordered_map<std::string, FilterFn> table = [] {
    std::unordered_map<std::string, FilterFn> t;
    t["tojson"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      JsonDumpOptions o;
      o.ensure_ascii = truthy(a.get(0, "ensure_ascii", Value(false)));
      const Value indent = a.get(1, "indent", Value(None{}));
      if (!indent.is_none()) {
        o.has_indent = true;
        o.item_separator = ",";
        if (indent.is_string()) o.indent = indent.str();
        else o.indent = std::string(std::size_t(std::clamp<int64_t>(need_int(indent, "tojson indent"), 0, 1024)), ' ');
      }
      const Value sep = a.get(2, "separators", Value(None{}));
      if (!sep.is_none()) {
        const auto parts = iterate(sep);
        if (parts.size() != 2) type_error("separators must be an (item_separator, key_separator) pair");
        o.item_separator = need_str(parts[0], "separators");
        o.key_separator = need_str(parts[1], "separators");
      }
      o.sort_keys = truthy(a.get(3, "sort_keys", Value(false)));
      return Value(json_dumps(v, o));
    };
    t["trim"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      return Value(py_strip(to_str(v), a.get(0, "chars"), true, true));
    };
    t["upper"] = [](Interpreter&, const Value& v, CallArgs&) -> Value { return Value(map_case(to_str(v), true)); };
    t["lower"] = [](Interpreter&, const Value& v, CallArgs&) -> Value { return Value(map_case(to_str(v), false)); };
    t["title"] = [](Interpreter&, const Value& v, CallArgs&) -> Value { return Value(py_title(to_str(v))); };
    t["capitalize"] = [](Interpreter&, const Value& v, CallArgs&) -> Value { return Value(py_capitalize(to_str(v))); };
    t["length"] = [](Interpreter&, const Value& v, CallArgs&) -> Value { return Value(length_of(v)); };
    t["count"] = t["length"];
    t["string"] = [](Interpreter&, const Value& v, CallArgs&) -> Value { return Value(to_str(v)); };
    t["safe"] = [](Interpreter&, const Value& v, CallArgs&) -> Value { return v.is_string() ? v : Value(to_str(v)); };
    t["escape"] = [](Interpreter&, const Value& v, CallArgs&) -> Value { return Value(html_escape(to_str(v))); };
    t["e"] = t["escape"];
    t["first"] = [](Interpreter&, const Value& v, CallArgs&) -> Value {
      if (v.is_list() && v.list().is_iterator()) {
        auto& items = v.list().items;
        if (items.empty()) return Value(Undefined{"No first item, sequence was empty."});
        Value f = items.front();
        items.erase(items.begin());
        return f;
      }
      auto items = iterate(v);
      return items.empty() ? Value(Undefined{"No first item, sequence was empty."}) : items.front();
    };
    t["last"] = [](Interpreter&, const Value& v, CallArgs&) -> Value {
      if (v.is_list() && v.list().is_iterator()) type_error("'" + type_name(v) + "' object is not reversible");
      auto items = iterate(v);
      return items.empty() ? Value(Undefined{"No last item, sequence was empty."}) : items.back();
    };
    t["join"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      const Value d = a.get(0, "d", Value(""));
      const Value attr = a.get(1, "attribute", Value(None{}));
      std::string out;
      bool first = true;
      for (const auto& item : iterate(v)) {
        if (!first) out += to_str(d);
        out += to_str(attr.is_none() ? item : attr_path(item, attr));
        first = false;
      }
      return Value(out);
    };
    t["default"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      const bool boolean = truthy(a.get(1, "boolean", Value(false)));
      if (v.is_undefined() || (boolean && !truthy(v))) return a.get(0, "default_value", Value(""));
      return v;
    };
    t["d"] = t["default"];
    t["list"] = [](Interpreter&, const Value& v, CallArgs&) -> Value { return make_list(iterate(v)); };
    t["items"] = [](Interpreter&, const Value& v, CallArgs&) -> Value {
      if (v.is_undefined()) return make_iterable({}, "generator");
      if (!v.is_dict() || v.dict().is_namespace) type_error("items filter expects a mapping, got '" + type_name(v) + "'");
      return make_iterable(items_list(v.dict()).list().items, "generator");
    };
    t["dictsort"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      if (!v.is_dict()) type_error("dictsort expects a mapping");
      const bool cs = truthy(a.get(0, "case_sensitive", Value(false)));
      const Value by = a.get(1, "by", Value("key"));
      const bool reverse = truthy(a.get(2, "reverse", Value(false)));
      std::vector<Value> items = items_list(v.dict()).list().items;
      const std::size_t idx = (by.is_string() && by.str() == "value") ? 1 : 0;
      std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
        const Value kx = sort_key(x.list().items[idx], Value(), cs), ky = sort_key(y.list().items[idx], Value(), cs);
        return reverse ? less_than(ky, kx) : less_than(kx, ky);
      });
      return make_list(std::move(items));
    };
    t["int"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      const Value dflt = a.get(0, "default", Value(int64_t(0)));
      if (v.is_int() || v.is_bool()) return Value(v.as_int());
      if (v.is_float()) {
        const double d = std::trunc(v.as_double());
        if (!std::isfinite(d) || std::fabs(d) > 9.2e18) return dflt;
        return Value(int64_t(d));
      }
      if (v.is_string()) {
        std::string s = py_strip(v.str(), Value(), true, true);
        std::string digits;
        for (char c : s)
          if (c != '_') digits.push_back(c);
        try {
          std::size_t used = 0;
          const long long x = std::stoll(digits, &used, 10);
          if (used == digits.size() && !digits.empty()) return Value(int64_t(x));
        } catch (const std::exception&) {
        }
        try {
          std::size_t used = 0;
          const double d = std::stod(digits, &used);
          if (used == digits.size() && std::isfinite(d) && std::fabs(d) < 9.2e18) return Value(int64_t(std::trunc(d)));
        } catch (const std::exception&) {
        }
      }
      return dflt;
    };
    t["float"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      const Value dflt = a.get(0, "default", Value(0.0));
      if (v.is_number()) return Value(v.as_double());
      if (v.is_string()) {
        try {
          std::size_t used = 0;
          const std::string s = py_strip(v.str(), Value(), true, true);
          const double d = std::stod(s, &used);
          if (used == s.size()) return Value(d);
        } catch (const std::exception&) {
        }
      }
      return dflt;
    };
    t["abs"] = [](Interpreter&, const Value& v, CallArgs&) -> Value {
      check_defined(v);
      if (v.is_float()) return Value(std::fabs(v.as_double()));
      if (v.is_int() || v.is_bool()) return Value(v.as_int() < 0 ? -v.as_int() : v.as_int());
      type_error("bad operand type for abs(): '" + type_name(v) + "'");
    };
    t["round"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      const int64_t precision = need_int(a.get(0, "precision", Value(int64_t(0))), "round");
      const std::string method = to_str(a.get(1, "method", Value("common")));
      const double scale = std::pow(10.0, double(precision));
      const double x = v.as_double() * scale;
      double r = method == "ceil" ? std::ceil(x) : method == "floor" ? std::floor(x) : std::round(x);
      return Value(r / scale);
    };
    t["sum"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      const Value attr = a.get(0, "attribute", Value(None{}));
      Value total = a.get(1, "start", Value(int64_t(0)));
      for (const auto& item : iterate(v)) {
        const Value x = attr.is_none() ? item : attr_path(item, attr);
        if (!x.is_number() || !total.is_number()) type_error("unsupported operand type(s) for +: '" + type_name(total) + "' and '" + type_name(x) + "'");
        total = (x.is_float() || total.is_float()) ? Value(total.as_double() + x.as_double()) : Value(total.as_int() + x.as_int());
      }
      return total;
    };
    t["max"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value { return extreme(v, a, true); };
    t["min"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value { return extreme(v, a, false); };
    t["sort"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      const bool reverse = truthy(a.get(0, "reverse", Value(false)));
      const bool cs = truthy(a.get(1, "case_sensitive", Value(false)));
      const Value attr = a.get(2, "attribute", Value(None{}));
      std::vector<Value> items = iterate(v);
      std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
        return reverse ? less_than(sort_key(y, attr, cs), sort_key(x, attr, cs))
                       : less_than(sort_key(x, attr, cs), sort_key(y, attr, cs));
      });
      return make_list(std::move(items));
    };
    t["unique"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      const bool cs = truthy(a.get(0, "case_sensitive", Value(false)));
      const Value attr = a.get(1, "attribute", Value(None{}));
      std::vector<Value> out, seen;
      for (const auto& item : iterate(v)) {
        const Value k = sort_key(item, attr, cs);
        bool dup = false;
        for (const auto& s : seen) dup = dup || equals(s, k);
        if (!dup) {
          seen.push_back(k);
          out.push_back(item);
        }
      }
      return make_iterable(std::move(out), "generator");
    };
    t["reverse"] = [](Interpreter&, const Value& v, CallArgs&) -> Value {
      if (v.is_string()) {
        auto cps = code_points(v.str());
        std::string out;
        for (auto it = cps.rbegin(); it != cps.rend(); ++it) out += *it;
        return Value(out);
      }
      auto items = iterate(v);
      std::reverse(items.begin(), items.end());
      return make_iterable(std::move(items), "list_reverseiterator");
    };
    t["replace"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      const Value cnt = a.get(2, "count", Value(None{}));
      return Value(py_replace(to_str(v), to_str(a.get(0, "old")), to_str(a.get(1, "new")),
                              cnt.is_none() ? -1 : need_int(cnt, "replace")));
    };
    t["indent"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      const Value w = a.get(0, "width", Value(int64_t(4)));
      const std::string pad = w.is_string() ? w.str() : std::string(std::size_t(std::clamp<int64_t>(need_int(w, "indent"), 0, 4096)), ' ');
      const bool first = truthy(a.get(1, "first", Value(false)));
      const bool blank = truthy(a.get(2, "blank", Value(false)));
      // jinja2's do_indent: lines of text + "\n"; empty lines stay unindented unless blank=True.
      std::string s = to_str(v) + "\n";
      std::vector<std::string> lines;
      std::size_t b = 0;
      for (std::size_t i = 0; i < s.size(); ++i)
        if (s[i] == '\n') {
          lines.push_back(s.substr(b, i - b));
          b = i + 1;
        }
      std::string out;
      for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i) out += "\n";
        if (i > 0 && (blank || !lines[i].empty())) out += pad;
        out += lines[i];
      }
      if (first) out = pad + out;
      return Value(out);
    };
    t["center"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      const std::string s = to_str(v);
      const int64_t width = need_int(a.get(0, "width", Value(int64_t(80))), "center");
      const int64_t n = int64_t(code_points(s).size());
      if (width <= n) return Value(s);
      const int64_t marg = width - n;
      const int64_t left = marg / 2 + (marg & width & 1);
      return Value(std::string(std::size_t(left), ' ') + s + std::string(std::size_t(marg - left), ' '));
    };
    t["wordcount"] = [](Interpreter&, const Value& v, CallArgs&) -> Value {
      const std::string s = to_str(v);
      int64_t n = 0;
      bool in_word = false;
      for (std::size_t i = 0; i < s.size();) {
        const char32_t c = next_cp(s, i);
        const auto cat = utf8proc_category(utf8proc_int32_t(c));
        const bool w = (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO) || c == '_';
        if (w && !in_word) ++n;
        in_word = w;
      }
      return Value(n);
    };
    t["map"] = [](Interpreter& in, const Value& v, CallArgs& a) -> Value {
      std::vector<Value> out;
      Value attr;
      bool has_attr = false;
      Value dflt;
      for (const auto& [k, x] : a.kwargs) {
        if (k == "attribute") attr = x, has_attr = true;
        else if (k == "default") dflt = x;
      }
      if (has_attr) {
        for (const auto& item : iterate(v)) {
          Value r = attr_path(item, attr);
          out.push_back(r.is_undefined() && !dflt.is_undefined() ? dflt : r);
        }
        return make_iterable(std::move(out), "generator");
      }
      if (a.args.empty()) type_error("map requires a filter argument");
      const std::string name = need_str(a.args[0], "map");
      CallArgs rest;
      rest.args.assign(a.args.begin() + 1, a.args.end());
      rest.kwargs = a.kwargs;
      for (const auto& item : iterate(v)) out.push_back(apply_filter(in, name, item, rest));
      return make_iterable(std::move(out), "generator");
    };
    t["select"] = [](Interpreter& in, const Value& v, CallArgs& a) -> Value { return select_like(in, v, a, false, true); };
    t["reject"] = [](Interpreter& in, const Value& v, CallArgs& a) -> Value { return select_like(in, v, a, false, false); };
    t["selectattr"] = [](Interpreter& in, const Value& v, CallArgs& a) -> Value { return select_like(in, v, a, true, true); };
    t["rejectattr"] = [](Interpreter& in, const Value& v, CallArgs& a) -> Value { return select_like(in, v, a, true, false); };
    t["batch"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value {
      const int64_t n = need_int(a.get(0, "linecount"), "batch");
      if (n <= 0) type_error("batch size must be positive");
      const Value fill = a.get(1, "fill_with", Value(None{}));
      std::vector<Value> out, cur;
      for (const auto& item : iterate(v)) {
        cur.push_back(item);
        if (int64_t(cur.size()) == n) out.push_back(make_list(std::move(cur))), cur.clear();
      }
      if (!cur.empty()) {
        if (!fill.is_none())
          while (int64_t(cur.size()) < n) cur.push_back(fill);
        out.push_back(make_list(std::move(cur)));
      }
      return make_iterable(std::move(out), "generator");
    };
    t["attr"] = [](Interpreter&, const Value& v, CallArgs& a) -> Value { return get_attr(v, need_str(a.get(0, "name"), "attr")); };
    return t;
  }();
  return table;
}

using TestFn = bool (*)(Interpreter&, const Value&, CallArgs&);

const std::unordered_map<std::string, TestFn>& tests() {
  static const std::unordered_map<std::string, TestFn> table = [] {
    std::unordered_map<std::string, TestFn> t;
    t["defined"] = [](Interpreter&, const Value& v, CallArgs&) { return !v.is_undefined(); };
    t["undefined"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_undefined(); };
    t["none"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_none(); };
    t["boolean"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_bool(); };
    t["true"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_bool() && std::get<bool>(v.v); };
    t["false"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_bool() && !std::get<bool>(v.v); };
    t["integer"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_int(); };
    t["float"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_float(); };
    t["number"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_number(); };
    t["string"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_string(); };
    t["mapping"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_dict() && !v.dict().is_namespace; };
    // Undefined defines __iter__ and __len__/__getitem__ in jinja2, so it passes both.
    t["iterable"] = [](Interpreter&, const Value& v, CallArgs&) {
      return v.is_undefined() || v.is_string() || v.is_list() || (v.is_dict() && !v.dict().is_namespace);
    };
    t["sequence"] = [](Interpreter&, const Value& v, CallArgs&) {
      return v.is_undefined() || v.is_string() || (v.is_list() && !v.list().is_iterator()) || (v.is_dict() && !v.dict().is_namespace);
    };
    t["callable"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_callable(); };
    t["escaped"] = [](Interpreter&, const Value&, CallArgs&) { return false; };
    t["odd"] = [](Interpreter&, const Value& v, CallArgs&) { return (need_int(v, "odd") % 2) != 0; };
    t["even"] = [](Interpreter&, const Value& v, CallArgs&) { return (need_int(v, "even") % 2) == 0; };
    t["divisibleby"] = [](Interpreter&, const Value& v, CallArgs& a) {
      const int64_t d = need_int(a.get(0, "num"), "divisibleby");
      if (d == 0) type_error("integer division or modulo by zero");
      return need_int(v, "divisibleby") % d == 0;
    };
    t["lower"] = [](Interpreter&, const Value& v, CallArgs&) { return map_case(to_str(v), false) == to_str(v); };
    t["upper"] = [](Interpreter&, const Value& v, CallArgs&) { return map_case(to_str(v), true) == to_str(v); };
    t["eq"] = [](Interpreter&, const Value& v, CallArgs& a) { return equals(v, a.get(0, "other")); };
    t["equalto"] = t["eq"];
    t["=="] = t["eq"];
    t["ne"] = [](Interpreter&, const Value& v, CallArgs& a) { return !equals(v, a.get(0, "other")); };
    t["!="] = t["ne"];
    t["lt"] = [](Interpreter&, const Value& v, CallArgs& a) { return less_than(v, a.get(0, "other")); };
    t["lessthan"] = t["lt"];
    t["<"] = t["lt"];
    t["gt"] = [](Interpreter&, const Value& v, CallArgs& a) { return less_than(a.get(0, "other"), v); };
    t["greaterthan"] = t["gt"];
    t[">"] = t["gt"];
    t["le"] = [](Interpreter&, const Value& v, CallArgs& a) { return !less_than(a.get(0, "other"), v); };
    t["<="] = t["le"];
    t["ge"] = [](Interpreter&, const Value& v, CallArgs& a) { return !less_than(v, a.get(0, "other")); };
    t[">="] = t["ge"];
    t["in"] = [](Interpreter&, const Value& v, CallArgs& a) {
      const Value c = a.get(0, "seq");
      if (c.is_string()) return v.is_string() && c.str().find(v.str()) != std::string::npos;
      for (const auto& x : iterate(c))
        if (equals(x, v)) return true;
      return false;
    };
    t["sameas"] = [](Interpreter&, const Value& v, CallArgs& a) {
      const Value o = a.get(0, "other");
      if (v.is_none() || v.is_bool() || v.is_undefined()) return equals(v, o) && v.v.index() == o.v.index();
      if (v.is_list() && o.is_list()) return &v.list() == &o.list();
      if (v.is_dict() && o.is_dict()) return &v.dict() == &o.dict();
      return false;
    };
    t["filter"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_string() && has_filter(v.str()); };
    t["test"] = [](Interpreter&, const Value& v, CallArgs&) { return v.is_string() && has_test(v.str()); };
    return t;
  }();
  return table;
}

}  // namespace

bool has_filter(const std::string& name) { return filters().count(name) != 0; }
bool has_test(const std::string& name) { return tests().count(name) != 0; }

Value apply_filter(Interpreter& in, const std::string& name, const Value& input, CallArgs& args) {
  auto it = filters().find(name);
  if (it == filters().end()) throw UnsupportedTemplateError("No filter named '" + name + "'.");
  return it->second(in, input, args);
}

bool apply_test(Interpreter& in, const std::string& name, const Value& input, CallArgs& args) {
  auto it = tests().find(name);
  if (it == tests().end()) throw UnsupportedTemplateError("No test named '" + name + "'.");
  return it->second(in, input, args);
}

Value bound_method(const Value& self, const std::string& name) {
  if (self.is_string()) {
    if (std::find(std::begin(kStringMethods), std::end(kStringMethods), name) == std::end(kStringMethods)) return Value();
    const std::string s = self.str();
    return make_callable("str." + name, [s, name](Interpreter&, CallArgs& a) { return string_method(s, name, a); });
  }
  if (self.is_dict() && !self.dict().is_namespace) {
    const Value d = self;
    if (name == "get")
      return make_callable("dict.get", [d](Interpreter&, CallArgs& a) -> Value {
        const Value k = a.get(0, "key");
        const Value* v = k.is_string() ? d.dict().find(k.str()) : nullptr;
        return v ? *v : a.get(1, "default", Value(None{}));
      });
    if (name == "items")
      return make_callable("dict.items", [d](Interpreter&, CallArgs&) { return make_iterable(items_list(d.dict()).list().items, "dict_items"); });
    if (name == "keys") return make_callable("dict.keys", [d](Interpreter&, CallArgs&) { return make_iterable(iterate(d), "dict_keys"); });
    if (name == "values")
      return make_callable("dict.values", [d](Interpreter&, CallArgs&) {
        std::vector<Value> out;
        for (const auto& kv : d.dict().items) out.push_back(kv.second);
        return make_iterable(std::move(out), "dict_values");
      });
    return Value();
  }
  if (self.is_list()) {
    const Value l = self;
    if (name == "index")
      return make_callable("list.index", [l](Interpreter&, CallArgs& a) -> Value {
        const auto& items = l.list().items;
        for (std::size_t i = 0; i < items.size(); ++i)
          if (equals(items[i], a.get(0, "value"))) return Value(int64_t(i));
        type_error(repr(a.get(0, "value")) + " is not in list");
      });
    if (name == "count")
      return make_callable("list.count", [l](Interpreter&, CallArgs& a) -> Value {
        int64_t n = 0;
        for (const auto& x : l.list().items) n += equals(x, a.get(0, "value"));
        return Value(n);
      });
  }
  return Value();
}

void add_globals(Frame& f) {
  f.vars["raise_exception"] = make_callable("raise_exception", [](Interpreter&, CallArgs& a) -> Value {
    throw TemplateError(to_str(a.get(0, "message")));
  });
  f.vars["strftime_now"] = make_callable("strftime_now", [](Interpreter&, CallArgs& a) -> Value {
    const std::string fmt = need_str(a.get(0, "format"), "strftime_now");
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    localtime_r(&now, &tm);
    std::string buf(256 + fmt.size() * 8, '\0');
    const std::size_t n = std::strftime(buf.data(), buf.size(), fmt.c_str(), &tm);
    buf.resize(n);
    return Value(buf);
  });
  f.vars["range"] = make_callable("range", [](Interpreter&, CallArgs& a) -> Value {
    int64_t start = 0, stop = 0, step = 1;
    if (a.args.size() == 1) {
      stop = need_int(a.args[0], "range");
    } else if (a.args.size() >= 2) {
      start = need_int(a.args[0], "range");
      stop = need_int(a.args[1], "range");
      if (a.args.size() >= 3) step = need_int(a.args[2], "range");
    } else {
      type_error("range expected at least 1 argument, got 0");
    }
    if (step == 0) type_error("range() arg 3 must not be zero");
    std::vector<Value> out;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
      // jinja2's sandbox MAX_RANGE.
      if (out.size() >= 100000) throw UnsupportedTemplateError("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
      out.emplace_back(i);
    }
    return make_iterable(std::move(out), "range");
  });
  f.vars["dict"] = make_callable("dict", [](Interpreter&, CallArgs& a) -> Value {
    Value d = make_dict();
    if (!a.args.empty()) {
      const Value& src = a.args[0];
      if (src.is_dict()) d.dict().items = src.dict().items;
      else
        for (const auto& kv : iterate(src)) {
          auto parts = iterate(kv);
          if (parts.size() != 2 || !parts[0].is_string()) type_error("dict() needs (str key, value) pairs");
          d.dict().set(parts[0].str(), parts[1]);
        }
    }
    for (const auto& [k, v] : a.kwargs) d.dict().set(k, v);
    return d;
  });
  f.vars["namespace"] = make_callable("namespace", [](Interpreter&, CallArgs& a) -> Value {
    Value d = make_dict();
    d.dict().is_namespace = true;
    for (const auto& src : a.args)
      if (src.is_dict())
        for (const auto& [k, v] : src.dict().items) d.dict().set(k, v);
    for (const auto& [k, v] : a.kwargs) d.dict().set(k, v);
    return d;
  });
}

}  // namespace transformers::jinja::detail
