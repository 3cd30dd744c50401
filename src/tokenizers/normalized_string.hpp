#pragma once
// A piece of text under normalization that remembers, for every byte of the normalized text,
// which byte range of the original input it came from. Offsets reported to the user are read
// through these alignments.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace transformers::tokenizers_detail {

struct Align {
  uint32_t start, end;  // absolute byte offsets into the original input
};

// One output char and how it relates to the chars it replaces:
//   change == 0: replaces the next original char;
//   change > 0:  inserted (shares the alignment of the previous char);
//   change < 0:  replaces the next original char and removes -change following chars.
struct CharChange {
  char32_t c;
  int change;
};

class NormalizedString {
 public:
  NormalizedString() = default;
  // The original text itself, located at `shift` bytes into the whole input.
  NormalizedString(std::string_view original, uint32_t shift);

  const std::string& get() const { return norm_; }
  bool empty() const { return norm_.empty(); }
  std::size_t size() const { return norm_.size(); }
  uint32_t orig_start() const { return orig_start_; }
  uint32_t orig_end() const { return orig_end_; }
  const std::vector<Align>& alignments() const { return align_; }

  // Original byte range of the normalized byte range [b, e).
  Align original_range(std::size_t b, std::size_t e) const;
  // A new string for the normalized byte range [b, e).
  NormalizedString slice(std::size_t b, std::size_t e) const;

  // Replaces the normalized byte range [b, e) by `dest` (see CharChange); `initial_offset`
  // chars at the start of the range are removed first.
  void transform_range(std::size_t b, std::size_t e, const std::vector<CharChange>& dest,
                       std::size_t initial_offset);
  void transform(const std::vector<CharChange>& dest, std::size_t initial_offset) {
    transform_range(0, norm_.size(), dest, initial_offset);
  }

  // 1:1 char mapping.
  void map(const std::function<char32_t(char32_t)>& f);
  // Keeps the chars for which keep(c) is true.
  void filter(const std::function<bool(char32_t)>& keep);
  void lowercase();
  void nfd();
  void nfkd();
  void nfc();
  void nfkc();
  void prepend(std::string_view s);
  void append(std::string_view s);
  void strip(bool left, bool right);
  // Replaces every [start, end) normalized byte range in `matches` (sorted, disjoint) by `content`.
  void replace_ranges(const std::vector<std::pair<std::size_t, std::size_t>>& matches, std::string_view content);

 private:
  void decompose(bool compat);
  void compose(bool compat);

  std::string norm_;
  std::vector<Align> align_;
  uint32_t orig_start_ = 0, orig_end_ = 0;
};

}  // namespace transformers::tokenizers_detail
