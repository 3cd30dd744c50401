// The SentencePiece `Precompiled` normalizer: a darts-clone double-array trie mapping UTF-8 keys
// to NUL-terminated replacement strings, applied per extended grapheme cluster (a whole cluster
// shorter than 6 bytes first, otherwise char by char), as Hugging Face applies it.
#include <utf8proc.h>

#include <cstring>

#include "tokenizers/components.hpp"
#include "tokenizers/unicode.hpp"
#include "transformers/core/error.hpp"

namespace transformers::tokenizers_detail {

namespace {

std::string base64_decode(const std::string& in, const std::string& where) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    int v = val(c);
    if (v < 0) throw FormatError(where + ": not valid base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

class Precompiled : public Normalizer {
 public:
  Precompiled(const std::string& b64, const std::string& where) {
    std::string raw = base64_decode(b64, where);
    if (raw.size() < 4) throw FormatError(where + ": charsmap too short");
    uint32_t trie_size = static_cast<uint32_t>(static_cast<unsigned char>(raw[0])) |
                         (static_cast<uint32_t>(static_cast<unsigned char>(raw[1])) << 8) |
                         (static_cast<uint32_t>(static_cast<unsigned char>(raw[2])) << 16) |
                         (static_cast<uint32_t>(static_cast<unsigned char>(raw[3])) << 24);
    if (trie_size % 4 != 0 || 4 + static_cast<std::size_t>(trie_size) > raw.size())
      throw FormatError(where + ": trie size " + std::to_string(trie_size) + " does not fit the charsmap");
    units_.resize(trie_size / 4);
    for (std::size_t i = 0; i < units_.size(); ++i) {
      const unsigned char* p = reinterpret_cast<const unsigned char*>(raw.data()) + 4 + i * 4;
      units_[i] = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    }
    blob_ = raw.substr(4 + trie_size);
    if (units_.empty()) throw FormatError(where + ": empty trie");
    // The replacement strings are read as UTF-8 characters (next_cp trusts a lead byte's length);
    // a truncated sequence would be read past its end. Hugging Face tokenizers refuses such a map
    // at load ("Cannot parse precompiled_charsmap"); so do we.
    if (!is_valid_utf8(blob_))
      throw FormatError(where + ": the replacement strings are not valid UTF-8 (Cannot parse precompiled_charsmap)");
  }

  // The replacement of the shortest trie key that prefixes `chunk` (Hugging Face's rule), if any.
  bool transform(std::string_view chunk, std::string_view& out) const {
    std::size_t node = 0;
    uint32_t unit = units_[0];
    node ^= offset(unit);
    for (unsigned char c : chunk) {
      if (c == 0) break;
      node ^= c;
      if (node >= units_.size()) return false;
      unit = units_[node];
      if (label(unit) != c) return false;
      node ^= offset(unit);
      if (node >= units_.size()) return false;
      if (has_leaf(unit)) {
        std::size_t idx = value(units_[node]);
        if (idx >= blob_.size()) return false;
        std::size_t end = blob_.find('\0', idx);
        if (end == std::string::npos) end = blob_.size();
        out = std::string_view(blob_).substr(idx, end - idx);
        return true;
      }
    }
    return false;
  }

  static void replace(std::vector<CharChange>& tr, std::string_view old_part, std::string_view new_part) {
    int old_count = static_cast<int>(count_chars(old_part));
    int new_count = static_cast<int>(count_chars(new_part));
    int diff = new_count - old_count;
    for (std::size_t i = 0; i < new_part.size();) tr.push_back({next_cp(new_part, i), 0});
    if (diff > 0) {
      for (int k = 0; k < diff && k < static_cast<int>(tr.size()); ++k) tr[tr.size() - 1 - static_cast<std::size_t>(k)].change = 1;
    } else if (diff < 0 && !tr.empty()) {
      tr.back().change += diff;
    }
  }

  void normalize(NormalizedString& s) const override {
    const std::string& t = s.get();
    if (t.empty()) return;
    std::vector<CharChange> tr;
    tr.reserve(t.size());
    bool modified = false;
    // Walk extended grapheme clusters.
    std::size_t g_start = 0, i = 0;
    utf8proc_int32_t state = 0;
    char32_t prev = 0;
    bool first = true;
    auto handle = [&](std::size_t b, std::size_t e) {
      std::string_view g(t.data() + b, e - b);
      std::string_view rep;
      if (g.size() < 6 && transform(g, rep)) {
        modified = true;
        replace(tr, g, rep);
        return;
      }
      for (std::size_t k = 0; k < g.size();) {
        std::size_t at = k;
        char32_t c = next_cp(g, k);
        std::string_view part = g.substr(at, k - at);
        if (transform(part, rep)) {
          modified = true;
          replace(tr, part, rep);
        } else {
          tr.push_back({c, 0});
        }
      }
    };
    while (i < t.size()) {
      std::size_t at = i;
      char32_t c = next_cp(t, i);
      if (!first && utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(prev), static_cast<utf8proc_int32_t>(c), &state)) {
        handle(g_start, at);
        g_start = at;
      }
      first = false;
      prev = c;
    }
    handle(g_start, t.size());
    if (modified) s.transform(tr, 0);
  }

 private:
  static bool has_leaf(uint32_t u) { return ((u >> 8) & 1) == 1; }
  static uint32_t value(uint32_t u) { return u & ((1u << 31) - 1); }
  static uint32_t label(uint32_t u) { return u & ((1u << 31) | 0xFF); }
  static std::size_t offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }

  std::vector<uint32_t> units_;
  std::string blob_;
};

}  // namespace

std::unique_ptr<Normalizer> make_precompiled(const json& j, const std::string& where) {
  const json& v = field(j, "precompiled_charsmap", where);
  if (v.is_null()) return nullptr;
  if (!v.is_string()) throw FormatError(where + ".precompiled_charsmap: expected a base64 string");
  return std::make_unique<Precompiled>(v.get<std::string>(), where + ".precompiled_charsmap");
}

}  // namespace transformers::tokenizers_detail
