#pragma once
// A read-only private mapping of a whole file. Tensors borrow slices of it through Storage::borrow
// with the shared_ptr<MappedFile> as owner, so the mapping lives exactly as long as any tensor
// (or reader) uses it. Mapping costs no reads: pages come in when a tensor is touched.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace transformers::io::detail {

class MappedFile {
 public:
  // Throws FileNotFoundError when the file cannot be opened, EnvironmentError when mmap fails.
  static std::shared_ptr<MappedFile> open(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  std::string_view bytes(size_t offset, size_t n) const {
    return {reinterpret_cast<const char*>(data_) + offset, n};
  }

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

// The bytes a reader parses: a whole file mapped, or a heap copy of an in-memory buffer (fuzzers,
// tests). `owner` keeps them alive; zero-copy tensors hold on to it.
struct ReaderBytes {
  std::string path;
  std::shared_ptr<const void> owner;
  const uint8_t* data = nullptr;
  uint64_t size = 0;
  static ReaderBytes map(const std::filesystem::path& file);
  static ReaderBytes copy(std::string_view bytes, std::string name);
};

}  // namespace transformers::io::detail
