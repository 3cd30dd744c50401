#pragma once
// Shared helpers of the fuzz targets. A target returns normally when the library either accepts
// the input or rejects it with a typed transformers::Error; any other exception escapes and
// libFuzzer reports it as a crash (an untyped error is a finding too, as are ASan/UBSan reports,
// timeouts and allocations above -malloc_limit_mb).
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "transformers/core/error.hpp"

namespace fuzz {

// A private folder in /dev/shm (memory, so writing the input each run costs little), made once
// per process and removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const char* base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string templ = std::string(base) + "/transformers_fuzz_XXXXXX";
    if (!mkdtemp(templ.data())) std::abort();
    static std::filesystem::path keep = templ;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(keep, ec);
    });
    return std::filesystem::path(templ);
  }();
  return dir;
}

inline std::filesystem::path write_file(const std::string& name, std::string_view bytes) {
  const auto path = scratch_dir() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

inline std::string_view as_view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs f; a transformers::Error is the expected way to refuse an input.
template <typename F>
inline void expect_typed(F&& f) {
  try {
    f();
  } catch (const transformers::Error&) {
  }
}

}  // namespace fuzz
