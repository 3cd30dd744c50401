#include "io/safetensors_header.hpp"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "transformers/core/quote.hpp"
#include "transformers/io/json_file.hpp"

namespace transformers::io::detail {

namespace {

uint64_t json_usize(const nlohmann::json& v, const std::string& file, const std::string& what) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return uint64_t(v.get<int64_t>());
  throw FormatError("safetensors file '" + file + "': " + what + " must be a non-negative integer, found " +
                    one_line(v.dump(), kQuotedInputMaxBytes));
}

// Cursor over the header bytes for the fast path; every accessor is bounds-checked.
struct Cursor {
  const char* p;
  const char* e;
  void ws() {
    while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  }
  bool eat(char c) {
    ws();
    if (p < e && *p == c) {
      ++p;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    ws();
    return p < e && *p == c;
  }
  // A string of printable ASCII without escapes.
  bool str(std::string_view& out) {
    if (!eat('"')) return false;
    const char* b = p;
    while (p < e && *p != '"') {
      const unsigned char c = static_cast<unsigned char>(*p);
      if (c < 0x20 || c >= 0x7f || c == '\\') return false;
      ++p;
    }
    if (p >= e) return false;
    out = std::string_view(b, size_t(p - b));
    ++p;
    return true;
  }
  // A JSON integer >= 0 that fits int64 (JSON forbids leading zeros; fractions/exponents fail at
  // the caller, which expects ',' or ']' next).
  bool uint(uint64_t& out) {
    ws();
    if (p >= e || *p < '0' || *p > '9') return false;
    if (*p == '0' && p + 1 < e && p[1] >= '0' && p[1] <= '9') return false;
    uint64_t v = 0;
    while (p < e && *p >= '0' && *p <= '9') {
      const uint64_t d = uint64_t(*p - '0');
      if (v > (uint64_t(std::numeric_limits<int64_t>::max()) - d) / 10) return false;
      v = v * 10 + d;
      ++p;
    }
    out = v;
    return true;
  }
  bool uint_array(std::vector<uint64_t>& out) {
    if (!eat('[')) return false;
    if (eat(']')) return true;
    do {
      uint64_t v;
      if (!uint(v)) return false;
      out.push_back(v);
    } while (eat(','));
    return eat(']');
  }
};

bool fast_tensor(Cursor& c, HeaderEntry& out) {
  if (!c.eat('{')) return false;
  bool has_dtype = false, has_shape = false, has_offsets = false;
  do {
    std::string_view key;
    if (!c.str(key) || !c.eat(':')) return false;
    if (key == "dtype" && !has_dtype) {
      std::string_view d;
      if (!c.str(d)) return false;
      out.dtype = find_safetensors_dtype(d);
      if (!out.dtype) return false;
      has_dtype = true;
    } else if (key == "shape" && !has_shape) {
      std::vector<uint64_t> dims;
      if (!c.uint_array(dims)) return false;
      out.shape.assign(dims.begin(), dims.end());
      has_shape = true;
    } else if (key == "data_offsets" && !has_offsets) {
      std::vector<uint64_t> o;
      if (!c.uint_array(o) || o.size() != 2) return false;
      out.begin = o[0];
      out.end = o[1];
      has_offsets = true;
    } else {
      return false;  // unknown or repeated field
    }
  } while (c.eat(','));
  return c.eat('}') && has_dtype && has_shape && has_offsets;
}

bool fast_metadata(Cursor& c, Metadata& out) {
  if (!c.eat('{')) return false;
  if (c.eat('}')) return true;
  do {
    std::string_view k, v;
    if (!c.str(k) || !c.eat(':') || !c.str(v)) return false;
    if (!out.emplace(std::string(k), std::string(v)).second) return false;  // duplicate
  } while (c.eat(','));
  return c.eat('}');
}

}  // namespace

ParsedHeader parse_header_json(std::string_view text, const std::string& f) {
  auto fail = [&](const std::string& what) { throw FormatError("safetensors file '" + f + "': " + what); };
  // Duplicate keys are refused (the Rust reader silently keeps the last one).
  const nlohmann::json header = parse_json(
      text, f, {.what = "safetensors header of", .max_bytes = text.size(), .reject_duplicate_keys = true});
  if (!header.is_object()) fail("header must be a JSON object, found " + std::string(header.type_name()));

  ParsedHeader out;
  out.entries.reserve(header.size());
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const auto& v = it.value();
    if (name == "__metadata__") {
      if (v.is_null()) continue;
      if (!v.is_object()) fail("__metadata__ must be an object of strings, found " + std::string(v.type_name()));
      for (auto mi = v.begin(); mi != v.end(); ++mi) {
        if (!mi.value().is_string())
          fail("__metadata__ value for " + quote_input(mi.key()) + " must be a string, found " + one_line(mi.value().dump(), kQuotedInputMaxBytes));
        out.metadata[mi.key()] = mi.value().get<std::string>();
      }
      out.has_metadata = true;
      continue;
    }
    if (!v.is_object()) fail("entry " + quote_input(name) + " must be an object, found " + std::string(v.type_name()));
    for (const char* field : {"dtype", "shape", "data_offsets"})
      if (!v.contains(field)) fail("tensor " + quote_input(name) + " lacks the required field '" + field + "'");
    const auto& jd = v["dtype"];
    if (!jd.is_string()) fail("tensor " + quote_input(name) + ": dtype must be a string, found " + one_line(jd.dump(), kQuotedInputMaxBytes));
    const SafetensorsDType* dt = find_safetensors_dtype(jd.get_ref<const std::string&>());
    if (!dt) fail("tensor " + quote_input(name) + ": unknown dtype " + quote_input(jd.get<std::string>()));
    const auto& js = v["shape"];
    if (!js.is_array()) fail("tensor " + quote_input(name) + ": shape must be an array, found " + one_line(js.dump(), kQuotedInputMaxBytes));
    HeaderEntry p{name, dt, {}, 0, 0};
    for (const auto& d : js) {
      const uint64_t u = json_usize(d, f, "shape of " + quote_input(name));
      if (u > uint64_t(std::numeric_limits<int64_t>::max()))
        fail("tensor " + quote_input(name) + ": dimension " + std::to_string(u) + " does not fit int64");
      p.shape.push_back(int64_t(u));
    }
    const auto& jo = v["data_offsets"];
    if (!jo.is_array() || jo.size() != 2)
      fail("tensor " + quote_input(name) + ": data_offsets must be [begin, end], found " + one_line(jo.dump(), kQuotedInputMaxBytes));
    p.begin = json_usize(jo[0], f, "data_offsets of " + quote_input(name));
    p.end = json_usize(jo[1], f, "data_offsets of " + quote_input(name));
    out.entries.push_back(std::move(p));
  }
  return out;
}

std::optional<ParsedHeader> parse_header_fast(std::string_view text) {
  Cursor c{text.data(), text.data() + text.size()};
  ParsedHeader out;
  if (!c.eat('{')) return std::nullopt;
  if (!c.eat('}')) {
    do {
      std::string_view name;
      if (!c.str(name) || !c.eat(':')) return std::nullopt;
      if (name == "__metadata__") {
        if (out.has_metadata || !fast_metadata(c, out.metadata)) return std::nullopt;
        out.has_metadata = true;
        continue;
      }
      HeaderEntry e;
      e.name = std::string(name);
      if (!fast_tensor(c, e)) return std::nullopt;
      out.entries.push_back(std::move(e));
    } while (c.eat(','));
    if (!c.eat('}')) return std::nullopt;
  }
  c.ws();
  if (c.p != c.e) return std::nullopt;  // trailing bytes: let the full parser word the error
  // The full path iterates a key-sorted object; same order here (and duplicates go to it).
  std::sort(out.entries.begin(), out.entries.end(),
            [](const HeaderEntry& a, const HeaderEntry& b) { return a.name < b.name; });
  for (size_t i = 1; i < out.entries.size(); ++i)
    if (out.entries[i - 1].name == out.entries[i].name) return std::nullopt;
  return out;
}

}  // namespace transformers::io::detail
