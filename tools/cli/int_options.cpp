#include "int_options.hpp"

#include <string>

#include "transformers/core/parallel.hpp"

namespace transformers::cli {

namespace {
// Magnitude of a string of decimal digits, or nullopt when empty, not all digits or above 2^64 - 1.
std::optional<uint64_t> digits_value(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    if (__builtin_mul_overflow(v, uint64_t(10), &v) || __builtin_add_overflow(v, uint64_t(c - '0'), &v))
      return std::nullopt;
  }
  return v;
}

std::string shown(const std::string& s) { return s.empty() ? "an empty value" : "'" + s + "'"; }
}  // namespace

std::optional<int64_t> parse_int(std::string_view s, int64_t lo, int64_t hi) {
  const bool neg = !s.empty() && s[0] == '-';
  const auto mag = digits_value(neg ? s.substr(1) : s);
  if (!mag) return std::nullopt;
  int64_t v;
  if (neg) {
    if (*mag > uint64_t(INT64_MAX) + 1) return std::nullopt;
    v = *mag == uint64_t(INT64_MAX) + 1 ? INT64_MIN : -int64_t(*mag);
  } else {
    if (*mag > uint64_t(INT64_MAX)) return std::nullopt;
    v = int64_t(*mag);
  }
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

std::optional<uint64_t> parse_uint(std::string_view s, uint64_t hi) {
  const auto v = digits_value(s);
  if (!v || *v > hi) return std::nullopt;
  return v;
}

CLI::Validator IntRange(int64_t lo, int64_t hi) {
  const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& s) -> std::string {
        if (parse_int(s, lo, hi)) return {};
        return "expected an integer in " + range + ", found " + shown(s);
      },
      "INT in " + range);
}

CLI::Validator SeedRange() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        if (parse_uint(s, UINT64_MAX)) return {};
        return "expected an integer in [0, 18446744073709551615], found " + shown(s);
      },
      "INT in [0, 2^64-1]");
}

CLI::Validator ThreadsRange() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const int64_t hi = max_num_threads();
        if (parse_int(s, 1, hi)) return {};
        return "expected an integer in [1, " + std::to_string(hi) + "] (the CPUs this process may use), found " + shown(s);
      },
      "INT in [1, CPUs]");
}

}  // namespace transformers::cli
