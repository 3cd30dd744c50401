// Field access for tokenizer.json objects; every error names the field it is about.
#include "tokenizers/components.hpp"
#include "transformers/core/error.hpp"

namespace transformers::tokenizers_detail {

static std::string kind_of(const json& v) { return v.type_name(); }

const json& field(const json& obj, const char* key, const std::string& where) {
  if (!obj.is_object()) throw FormatError(where + ": expected an object, found " + kind_of(obj));
  auto it = obj.find(key);
  if (it == obj.end()) throw FormatError(where + "." + key + ": missing field");
  return *it;
}

std::string get_string(const json& obj, const char* key, const std::string& where) {
  const json& v = field(obj, key, where);
  if (!v.is_string()) throw FormatError(where + "." + key + ": expected a string, found " + kind_of(v));
  return v.get<std::string>();
}

std::optional<std::string> get_opt_string(const json& obj, const char* key, const std::string& where) {
  if (!obj.is_object()) throw FormatError(where + ": expected an object, found " + kind_of(obj));
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw FormatError(where + "." + key + ": expected a string or null, found " + kind_of(*it));
  return it->get<std::string>();
}

bool get_bool(const json& obj, const char* key, const std::string& where, std::optional<bool> dflt) {
  if (!obj.is_object()) throw FormatError(where + ": expected an object, found " + kind_of(obj));
  auto it = obj.find(key);
  if (it == obj.end() || (it->is_null() && dflt)) {
    if (dflt) return *dflt;
    throw FormatError(where + "." + key + ": missing field");
  }
  if (!it->is_boolean()) throw FormatError(where + "." + key + ": expected a boolean, found " + kind_of(*it));
  return it->get<bool>();
}

int64_t get_int(const json& obj, const char* key, const std::string& where, std::optional<int64_t> dflt) {
  if (!obj.is_object()) throw FormatError(where + ": expected an object, found " + kind_of(obj));
  auto it = obj.find(key);
  if (it == obj.end() || (it->is_null() && dflt)) {
    if (dflt) return *dflt;
    throw FormatError(where + "." + key + ": missing field");
  }
  if (!it->is_number_integer()) throw FormatError(where + "." + key + ": expected an integer, found " + kind_of(*it));
  return it->get<int64_t>();
}

std::string get_type(const json& obj, const std::string& where) {
  if (!obj.is_object()) throw FormatError(where + ": expected an object, found " + kind_of(obj));
  auto it = obj.find("type");
  if (it == obj.end()) throw FormatError(where + ".type: missing field");
  if (!it->is_string()) throw FormatError(where + ".type: expected a string, found " + kind_of(*it));
  return it->get<std::string>();
}

SplitBehavior parse_behavior(const json& v, const std::string& where) {
  if (!v.is_string()) throw FormatError(where + ": expected a behavior string, found " + kind_of(v));
  std::string s = v.get<std::string>();
  if (s == "Removed") return SplitBehavior::Removed;
  if (s == "Isolated") return SplitBehavior::Isolated;
  if (s == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (s == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (s == "Contiguous") return SplitBehavior::Contiguous;
  throw FormatError(where + ": unknown behavior '" + s + "'");
}

void matches_to_pieces(const std::vector<Span>& matches, std::size_t len, bool invert,
                       std::vector<std::pair<Span, bool>>& pieces) {
  std::size_t prev = 0;
  for (auto [s, e] : matches) {
    if (s > prev) pieces.push_back({{prev, s}, invert});
    pieces.push_back({{s, e}, !invert});
    prev = e;
  }
  if (prev < len) pieces.push_back({{prev, len}, invert});
}

void apply_behavior(std::vector<std::pair<Span, bool>>& pieces, SplitBehavior b, std::vector<Span>& out) {
  switch (b) {
    case SplitBehavior::Removed:
      for (auto& [sp, m] : pieces)
        if (!m) out.push_back(sp);
      break;
    case SplitBehavior::Isolated:
      for (auto& [sp, m] : pieces) out.push_back(sp);
      break;
    case SplitBehavior::MergedWithPrevious: {
      bool prev_match = false;
      for (auto& [sp, m] : pieces) {
        if (m && !prev_match && !out.empty()) out.back().second = sp.second;
        else out.push_back(sp);
        prev_match = m;
      }
      break;
    }
    case SplitBehavior::MergedWithNext: {
      bool prev_match = false;
      std::vector<Span> rev;
      for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
        auto& [sp, m] = *it;
        if (m && !prev_match && !rev.empty()) rev.back().first = sp.first;
        else rev.push_back(sp);
        prev_match = m;
      }
      out.insert(out.end(), rev.rbegin(), rev.rend());
      break;
    }
    case SplitBehavior::Contiguous: {
      bool prev_match = false;
      for (auto& [sp, m] : pieces) {
        if (m && prev_match && !out.empty()) out.back().second = sp.second;
        else out.push_back(sp);
        prev_match = m;
      }
      break;
    }
  }
  // Empty spans are dropped.
  std::erase_if(out, [](const Span& s) { return s.first == s.second; });
}

const char32_t* bytes_to_unicode() {
  static const auto table = [] {
    static char32_t t[256];
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      bool direct = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      t[b] = direct ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
    }
    return t;
  }();
  return table;
}

int unicode_to_byte(char32_t c) {
  static const auto rev = [] {
    static int16_t r[324];
    for (auto& x : r) x = -1;
    const char32_t* t = bytes_to_unicode();
    for (int b = 0; b < 256; ++b) r[t[b]] = static_cast<int16_t>(b);
    return r;
  }();
  return c < 324 ? rev[c] : -1;
}

}  // namespace transformers::tokenizers_detail
