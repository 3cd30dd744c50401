#pragma once
// Helpers of the reliability suite: fixture paths, private temp folders, deterministic mutations
// (truncations and bit flips) and the "typed error or success, never anything else" check.
#include <gtest/gtest.h>

#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <typeinfo>
#include <vector>

#include <unistd.h>

#include "transformers/core/error.hpp"

// RELIABILITY_ASAN: this binary runs under AddressSanitizer (scripts/sanitize).
#if defined(__SANITIZE_ADDRESS__)
#define RELIABILITY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RELIABILITY_ASAN 1
#endif
#endif

namespace reliability {

namespace fs = std::filesystem;

inline fs::path fixtures() { return fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf"; }
inline fs::path models() { return fixtures() / "models"; }
inline fs::path tokenizers() { return fixtures() / "tokenizers"; }
inline fs::path data_dir() { return fs::path(TRANSFORMERS_TEST_DATA_DIR) / "reliability"; }

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
inline void write_file(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(s.data(), std::streamsize(s.size()));
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "treliab-XXXXXX").string();
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// What happened when a loader met an input.
enum class Outcome { Accepted, TypedError, UntypedError };

struct Result {
  Outcome outcome = Outcome::Accepted;
  std::string what;  // the message (or the exception type for untyped errors)
};

inline Result run_loader(const std::function<void()>& f) {
  try {
    f();
    return {};
  } catch (const transformers::Error& e) {
    return {Outcome::TypedError, e.what()};
  } catch (const std::exception& e) {
    return {Outcome::UntypedError, std::string(typeid(e).name()) + ": " + e.what()};
  } catch (...) {
    return {Outcome::UntypedError, "non-std exception"};
  }
}

// One mutated copy of a file: a description (for failure messages) and the bytes.
struct Mutation {
  std::string label;
  std::string bytes;
  bool truncation = false;  // a strict prefix: a loader must refuse it (unless only whitespace was cut)
};

// Deterministic truncations (fixed cut points near the start and the end, plus seeded random ones)
// and bit flips (half in the first 1 KiB where headers and pickles' opcodes live, half in the last
// 512 bytes where a zip keeps its directory, the rest anywhere).
inline std::vector<Mutation> mutations(const std::string& bytes, uint32_t seed, int n_cuts = 12, int n_flips = 16) {
  std::vector<Mutation> out;
  const size_t n = bytes.size();
  if (n == 0) return out;
  std::mt19937 rng(seed);
  std::vector<size_t> cuts = {0, 1, 7, 8, 9, n / 2, n - 1};
  for (int i = 0; i < n_cuts; ++i) cuts.push_back(std::uniform_int_distribution<size_t>(0, n - 1)(rng));
  for (size_t c : cuts) {
    if (c >= n) continue;
    // Cutting only trailing whitespace (the newline after a JSON document) leaves a valid file.
    if (bytes.find_first_not_of(" \t\r\n", c) == std::string::npos) continue;
    out.push_back({"truncated to " + std::to_string(c) + " of " + std::to_string(n) + " bytes", bytes.substr(0, c), true});
  }
  for (int i = 0; i < n_flips; ++i) {
    size_t pos;
    const int region = i % 3;
    if (region == 0) pos = std::uniform_int_distribution<size_t>(0, std::min<size_t>(n, 1024) - 1)(rng);
    else if (region == 1) pos = n - 1 - std::uniform_int_distribution<size_t>(0, std::min<size_t>(n, 512) - 1)(rng);
    else pos = std::uniform_int_distribution<size_t>(0, n - 1)(rng);
    const int bit = std::uniform_int_distribution<int>(0, 7)(rng);
    Mutation m{"bit " + std::to_string(bit) + " of byte " + std::to_string(pos) + " flipped", bytes};
    m.bytes[pos] = char(uint8_t(m.bytes[pos]) ^ (1u << bit));
    out.push_back(std::move(m));
  }
  return out;
}

// Counters printed at the end of a test (docs/reliability.md quotes them).
struct Tally {
  int accepted = 0, typed = 0;
  void add(Outcome o) { (o == Outcome::Accepted ? accepted : typed)++; }
};

}  // namespace reliability
