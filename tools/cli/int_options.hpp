#pragma once
// Integer options of transformers-cli, parsed strictly. CLI11 2.1 converts them with strtoll /
// strtoull, which saturate 2^64 to INT64_MAX, wrap "-1" to 2^64-1 for an unsigned option and read
// "010" as octal; numbers like those then reached size computations. Every integer flag is given an
// explicit range here; anything else is a usage error (exit 2) that names the flag.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace transformers::cli {

// A decimal integer (an optional '-', then digits; nothing else) within [lo, hi]; nullopt otherwise.
std::optional<int64_t> parse_int(std::string_view s, int64_t lo, int64_t hi);
// A decimal integer within [0, hi] (no sign).
std::optional<uint64_t> parse_uint(std::string_view s, uint64_t hi);

// ->check(IntRange(1, 100)): the value must be a decimal integer in [lo, hi].
CLI::Validator IntRange(int64_t lo, int64_t hi);
// Seeds: any decimal integer in [0, 2^64 - 1].
CLI::Validator SeedRange();
// --threads: 1 .. the CPUs this process may use (max_num_threads()).
CLI::Validator ThreadsRange();

}  // namespace transformers::cli
