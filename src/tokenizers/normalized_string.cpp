#include "tokenizers/normalized_string.hpp"

#include <utf8proc.h>

#include <algorithm>

#include "tokenizers/unicode.hpp"

namespace transformers::tokenizers_detail {

NormalizedString::NormalizedString(std::string_view original, uint32_t shift)
    : norm_(original), orig_start_(shift), orig_end_(shift + static_cast<uint32_t>(original.size())) {
  align_.resize(original.size());
  std::size_t i = 0;
  while (i < original.size()) {
    std::size_t n = utf8_len(static_cast<unsigned char>(original[i]));
    Align a{static_cast<uint32_t>(shift + i), static_cast<uint32_t>(shift + i + n)};
    for (std::size_t k = 0; k < n && i + k < original.size(); ++k) align_[i + k] = a;
    i += n;
  }
}

Align NormalizedString::original_range(std::size_t b, std::size_t e) const {
  if (b >= e || b >= align_.size()) {
    uint32_t p = b < align_.size() ? align_[b].start : (align_.empty() ? orig_start_ : align_.back().end);
    return {p, p};
  }
  return {align_[b].start, align_[e - 1].end};
}

NormalizedString NormalizedString::slice(std::size_t b, std::size_t e) const {
  NormalizedString out;
  out.norm_ = norm_.substr(b, e - b);
  out.align_.assign(align_.begin() + static_cast<std::ptrdiff_t>(b), align_.begin() + static_cast<std::ptrdiff_t>(e));
  Align r = original_range(b, e);
  out.orig_start_ = r.start;
  out.orig_end_ = r.end;
  return out;
}

void NormalizedString::transform_range(std::size_t b, std::size_t e, const std::vector<CharChange>& dest,
                                       std::size_t initial_offset) {
  std::string_view old(norm_.data() + b, e - b);
  std::size_t pos = 0;  // byte position inside `old`
  auto skip_char = [&]() -> std::size_t {
    if (pos >= old.size()) return 0;
    std::size_t n = utf8_len(static_cast<unsigned char>(old[pos]));
    pos += n;
    return n;
  };
  for (std::size_t k = 0; k < initial_offset; ++k) skip_char();
  std::string out;
  std::vector<Align> out_align;
  out.reserve(old.size() + dest.size());
  out_align.reserve(old.size() + dest.size());
  for (const auto& d : dest) {
    std::size_t idx = b + pos;
    Align a;
    if (d.change > 0) {
      a = idx < 1 ? Align{orig_start_, orig_start_} : align_[idx - 1];
    } else {
      a = idx < align_.size() ? align_[idx] : (align_.empty() ? Align{orig_start_, orig_start_} : align_.back());
      skip_char();
      for (int r = 0; r < -d.change; ++r) skip_char();
    }
    std::size_t before = out.size();
    append_utf8(out, d.c);
    out_align.insert(out_align.end(), out.size() - before, a);
  }
  norm_.replace(b, e - b, out);
  align_.erase(align_.begin() + static_cast<std::ptrdiff_t>(b), align_.begin() + static_cast<std::ptrdiff_t>(e));
  align_.insert(align_.begin() + static_cast<std::ptrdiff_t>(b), out_align.begin(), out_align.end());
}

namespace {
// Rebuilds a normalized text and its alignments code point by code point: `emit(c, at, end, out,
// out_align)` appends what replaces the code point `c` found at bytes [at, end) (map and filter).
template <typename Emit>
void rebuild(std::string& norm, std::vector<Align>& align, Emit emit) {
  std::string out;
  std::vector<Align> out_align;
  out.reserve(norm.size());
  out_align.reserve(norm.size());
  std::size_t i = 0;
  while (i < norm.size()) {
    const std::size_t at = i;
    const char32_t c = next_cp(norm, i);
    emit(c, at, i, out, out_align);
  }
  norm = std::move(out);
  align = std::move(out_align);
}
}  // namespace

void NormalizedString::map(const std::function<char32_t(char32_t)>& f) {
  rebuild(norm_, align_, [&](char32_t c, std::size_t at, std::size_t, std::string& out, std::vector<Align>& out_al) {
    const std::size_t before = out.size();
    append_utf8(out, f(c));
    out_al.insert(out_al.end(), out.size() - before, align_[at]);
  });
}

void NormalizedString::filter(const std::function<bool(char32_t)>& keep) {
  rebuild(norm_, align_, [&](char32_t c, std::size_t at, std::size_t end, std::string& out, std::vector<Align>& out_al) {
    if (!keep(c)) return;
    out.append(norm_, at, end - at);
    out_al.insert(out_al.end(), align_.begin() + static_cast<std::ptrdiff_t>(at),
                  align_.begin() + static_cast<std::ptrdiff_t>(end));
  });
}

void NormalizedString::lowercase() {
  // Fast path: ASCII-only text lowercases byte for byte.
  bool ascii = std::all_of(norm_.begin(), norm_.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) {
    for (char& c : norm_)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return;
  }
  std::vector<CharChange> dest;
  dest.reserve(norm_.size());
  std::u32string tmp;
  std::size_t i = 0;
  while (i < norm_.size()) {
    char32_t c = next_cp(norm_, i);
    tmp.clear();
    append_lowercase(tmp, c);
    for (std::size_t k = 0; k < tmp.size(); ++k) dest.push_back({tmp[k], k > 0 ? 1 : 0});
  }
  transform(dest, 0);
}

namespace {
struct DChar {
  char32_t c;
  Align a;
  bool first;  // first char of the decomposition of one source char
};

int ccc(char32_t c) {
  if (c < 0x300) return 0;
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

bool is_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}
}  // namespace

// Decomposes every char (canonical or compatibility), then puts combining marks in canonical order.
static std::vector<DChar> decompose_chars(const std::string& norm, const std::vector<Align>& align, bool compat) {
  std::vector<DChar> out;
  out.reserve(norm.size());
  utf8proc_int32_t buf[32];
  utf8proc_option_t opts = static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0));
  std::size_t i = 0;
  while (i < norm.size()) {
    std::size_t at = i;
    char32_t c = next_cp(norm, i);
    if (c < 0x80) {
      out.push_back({c, align[at], true});
      continue;
    }
    int last_boundclass = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buf, 32, opts, &last_boundclass);
    if (n <= 0 || n > 32) {
      out.push_back({c, align[at], true});
      continue;
    }
    for (utf8proc_ssize_t k = 0; k < n; ++k) out.push_back({static_cast<char32_t>(buf[k]), align[at], k == 0});
  }
  // Canonical ordering: stable sort each run of non-starters by combining class.
  std::size_t k = 0;
  while (k < out.size()) {
    if (ccc(out[k].c) == 0) { ++k; continue; }
    std::size_t s = k;
    while (k < out.size() && ccc(out[k].c) != 0) ++k;
    if (k - s > 1) {
      // Only the code points move; the alignments stay by position (as Hugging Face reports them).
      std::vector<char32_t> cps;
      for (std::size_t q = s; q < k; ++q) cps.push_back(out[q].c);
      std::stable_sort(cps.begin(), cps.end(), [](char32_t x, char32_t y) { return ccc(x) < ccc(y); });
      for (std::size_t q = s; q < k; ++q) out[q].c = cps[q - s];
    }
  }
  return out;
}

void NormalizedString::decompose(bool compat) {
  if (is_ascii(norm_)) return;
  auto chars = decompose_chars(norm_, align_, compat);
  std::string out;
  std::vector<Align> out_align;
  out.reserve(chars.size() * 2);
  out_align.reserve(chars.size() * 2);
  for (const auto& d : chars) {
    std::size_t before = out.size();
    append_utf8(out, d.c);
    out_align.insert(out_align.end(), out.size() - before, d.a);
  }
  norm_ = std::move(out);
  align_ = std::move(out_align);
}

static std::size_t compose_buf(std::vector<utf8proc_int32_t>& buf) {
  if (buf.size() <= 1) return buf.size();
  utf8proc_ssize_t n = utf8proc_normalize_utf32(buf.data(), static_cast<utf8proc_ssize_t>(buf.size()),
                                                static_cast<utf8proc_option_t>(UTF8PROC_COMPOSE));
  return n < 0 ? buf.size() : static_cast<std::size_t>(n);
}

void NormalizedString::compose(bool compat) {
  if (is_ascii(norm_)) return;
  auto chars = decompose_chars(norm_, align_, compat);
  std::string out;
  std::vector<Align> out_align;
  out.reserve(norm_.size());
  out_align.reserve(norm_.size());
  std::vector<utf8proc_int32_t> seg, trial, alone;
  std::vector<Align> seg_align;
  auto flush = [&]() {
    if (seg.empty()) return;
    std::vector<utf8proc_int32_t> buf = seg;
    std::size_t n = compose_buf(buf);
    for (std::size_t j = 0; j < n; ++j) {
      std::size_t before = out.size();
      append_utf8(out, static_cast<char32_t>(buf[j]));
      out_align.insert(out_align.end(), out.size() - before, seg_align[std::min(j, seg_align.size() - 1)]);
    }
    seg.clear();
    seg_align.clear();
  };
  for (const auto& d : chars) {
    bool boundary = seg.empty();
    if (!boundary && ccc(d.c) == 0) {
      if (d.c < 0x80) {
        boundary = true;
      } else {
        // A starter begins a new segment unless it composes with what precedes it.
        trial = seg;
        std::size_t n1 = compose_buf(trial);
        trial.resize(n1);
        std::vector<utf8proc_int32_t> joined = trial;
        joined.push_back(static_cast<utf8proc_int32_t>(d.c));
        std::size_t n2 = compose_buf(joined);
        boundary = n2 == n1 + 1 && std::equal(trial.begin(), trial.end(), joined.begin()) &&
                   joined[n1] == static_cast<utf8proc_int32_t>(d.c);
      }
    }
    if (boundary) flush();
    seg.push_back(static_cast<utf8proc_int32_t>(d.c));
    seg_align.push_back(d.a);
  }
  flush();
  norm_ = std::move(out);
  align_ = std::move(out_align);
}

void NormalizedString::nfd() { decompose(false); }
void NormalizedString::nfkd() { decompose(true); }
void NormalizedString::nfc() { compose(false); }
void NormalizedString::nfkc() { compose(true); }

void NormalizedString::prepend(std::string_view s) {
  if (norm_.empty() || s.empty()) return;
  std::size_t i = 0;
  char32_t first = next_cp(norm_, i);
  std::vector<CharChange> dest;
  std::size_t k = 0;
  bool is_first = true;
  while (k < s.size()) {
    dest.push_back({next_cp(s, k), is_first ? 0 : 1});
    is_first = false;
  }
  dest.push_back({first, 1});
  transform_range(0, i, dest, 0);
}

void NormalizedString::append(std::string_view s) {
  if (norm_.empty() || s.empty()) return;
  std::size_t last = norm_.size() - 1;
  while (last > 0 && (static_cast<unsigned char>(norm_[last]) & 0xC0) == 0x80) --last;
  std::size_t i = last;
  char32_t c = next_cp(norm_, i);
  std::vector<CharChange> dest{{c, 0}};
  std::size_t k = 0;
  while (k < s.size()) dest.push_back({next_cp(s, k), 1});
  transform_range(last, norm_.size(), dest, 0);
}

void NormalizedString::strip(bool left, bool right) {
  std::size_t b = 0, e = norm_.size();
  if (left) {
    while (b < e) {
      std::size_t i = b;
      char32_t c = next_cp(norm_, i);
      if (!is_whitespace(c)) break;
      b = i;
    }
  }
  if (right) {
    while (e > b) {
      std::size_t s = e - 1;
      while (s > b && (static_cast<unsigned char>(norm_[s]) & 0xC0) == 0x80) --s;
      std::size_t i = s;
      char32_t c = next_cp(norm_, i);
      if (!is_whitespace(c)) break;
      e = s;
    }
  }
  if (b == 0 && e == norm_.size()) return;
  norm_ = norm_.substr(b, e - b);
  align_ = std::vector<Align>(align_.begin() + static_cast<std::ptrdiff_t>(b), align_.begin() + static_cast<std::ptrdiff_t>(e));
}

void NormalizedString::replace_ranges(const std::vector<std::pair<std::size_t, std::size_t>>& matches,
                                      std::string_view content) {
  if (matches.empty()) return;
  std::string out;
  std::vector<Align> out_align;
  out.reserve(norm_.size());
  out_align.reserve(norm_.size());
  std::size_t last = 0;
  for (auto [s, e] : matches) {
    out.append(norm_, last, s - last);
    out_align.insert(out_align.end(), align_.begin() + static_cast<std::ptrdiff_t>(last),
                     align_.begin() + static_cast<std::ptrdiff_t>(s));
    // Inserted chars share the alignment of the last byte of the removed match.
    Align a = e >= 1 ? align_[e - 1] : Align{orig_start_, orig_start_};
    if (e == s && s >= 1) a = align_[s - 1];
    out.append(content);
    out_align.insert(out_align.end(), content.size(), a);
    last = e;
  }
  out.append(norm_, last, std::string::npos);
  out_align.insert(out_align.end(), align_.begin() + static_cast<std::ptrdiff_t>(last), align_.end());
  norm_ = std::move(out);
  align_ = std::move(out_align);
}

}  // namespace transformers::tokenizers_detail
