#pragma once
// Shared helpers for the io tests: fixture paths, bitwise tensor comparison, temp folders, and a
// builder for hand-made safetensors bytes.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "transformers/core/tensor.hpp"

namespace iotest {

namespace fs = std::filesystem;
using transformers::Tensor;

inline fs::path models_dir() { return fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf" / "models"; }
inline fs::path data_dir() { return fs::path(TRANSFORMERS_TEST_DATA_DIR) / "io"; }

// Same dtype, shape and bytes (element by element, so strides and storage offsets do not matter).
inline ::testing::AssertionResult same_tensor(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    return ::testing::AssertionFailure() << "dtype " << transformers::dtype_name(a.dtype()) << " vs "
                                         << transformers::dtype_name(b.dtype());
  if (a.shape() != b.shape())
    return ::testing::AssertionFailure() << "shape " << transformers::shape_str(a.shape()) << " vs "
                                         << transformers::shape_str(b.shape());
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  if (ca.nbytes() && std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()) != 0)
    return ::testing::AssertionFailure() << "bytes differ";
  return ::testing::AssertionSuccess();
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
inline void write_file(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary);
  out.write(s.data(), std::streamsize(s.size()));
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("tio-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// 8-byte little-endian length + header text + data.
inline std::string st_bytes(const std::string& header, const std::string& data = "", uint64_t n_override = 0,
                            bool use_override = false) {
  std::string out(8, '\0');
  const uint64_t n = use_override ? n_override : header.size();
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xff);
  return out + header + data;
}

inline nlohmann::json load_facts() {
  std::ifstream in(models_dir() / "facts.json");
  return nlohmann::json::parse(in);
}

}  // namespace iotest
