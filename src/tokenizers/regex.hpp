#pragma once
// PCRE2 (UTF + UCP, JIT when available) for the tokenizer patterns. The patterns in
// tokenizer.json are written for Oniguruma; the constructs they use are the same in PCRE2.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace transformers::tokenizers_detail {

class Regex {
 public:
  // Throws FormatError naming `what` when the pattern does not compile.
  Regex(const std::string& pattern, const std::string& what);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  // All non-overlapping matches, left to right, as byte ranges (empty matches skipped).
  void find_all(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>>& out) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  void* code_ = nullptr;
  bool jit_ = false;
};

// A `{"String": s}` or `{"Regex": r}` pattern as tokenizer.json writes it.
class Pattern {
 public:
  static Pattern literal(std::string s);
  static Pattern regex(const std::string& r, const std::string& what);
  void find_all(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>>& out) const;

 private:
  std::string literal_;
  std::shared_ptr<Regex> regex_;
};

std::string regex_escape(std::string_view s);

}  // namespace transformers::tokenizers_detail
