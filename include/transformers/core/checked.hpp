#pragma once
// Checked int64 arithmetic for every size that can come from untrusted input (config.json,
// generation_config.json, CLI options, file headers): shapes, element counts, byte sizes, cache
// lengths. Python's integers never wrap; ours would, silently, into a tiny allocation that is then
// written past. These helpers throw a typed OverflowError that names what was being computed (the
// config key or CLI flag), so the error comes before any allocation.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "transformers/core/error.hpp"

namespace transformers {

// The largest tensor or storage the library allocates: 2^47 bytes (128 TiB), the user address space
// of x86-64 with 4-level paging, so nothing larger can ever be mapped. Sizes from hostile input
// (config.json, CLI flags) that pass int64 arithmetic but exceed it are refused before any
// allocation is attempted, with the same typed error as an overflow.
inline constexpr int64_t kMaxAllocationBytes = int64_t(1) << 47;

// A size computation from input values does not fit int64 (or a stated limit). `operands` holds the
// values that were combined, so a caller that knows where they came from (a config's keys) can name
// the source.
class OverflowError : public ValueError {
 public:
  OverflowError(const std::string& what, std::vector<int64_t> operands = {})
      : ValueError(what), operands_(std::move(operands)) {}
  const std::vector<int64_t>& operands() const { return operands_; }

 private:
  std::vector<int64_t> operands_;
};

namespace checked_detail {
[[noreturn]] inline void overflow(std::string_view what, const char* op, int64_t a, int64_t b) {
  throw OverflowError(std::string(what) + ": " + std::to_string(a) + " " + op + " " + std::to_string(b) +
                          " overflows a 64-bit size",
                      {a, b});
}
}  // namespace checked_detail

// a * b; `what` names the quantity ("config key 'n_positions' * 'n_embd'", "--gen-len").
inline int64_t checked_mul(int64_t a, int64_t b, std::string_view what) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) checked_detail::overflow(what, "*", a, b);
  return r;
}

inline int64_t checked_add(int64_t a, int64_t b, std::string_view what) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) checked_detail::overflow(what, "+", a, b);
  return r;
}

// Product of all values (an element count); throws OverflowError naming `what` and carrying all
// values as operands.
inline int64_t checked_product(const std::vector<int64_t>& values, std::string_view what) {
  int64_t r = 1;
  for (int64_t v : values) {
    if (__builtin_mul_overflow(r, v, &r))
      throw OverflowError(std::string(what) + ": the product of the sizes overflows a 64-bit count", values);
  }
  return r;
}

}  // namespace transformers
