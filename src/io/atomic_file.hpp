#pragma once
// Writes a file so that the final name only ever holds a complete file: the bytes go to a
// temporary file in the same folder (same filesystem, so rename is atomic), which is fsynced and
// then renamed over the target; the folder is fsynced so the rename survives a crash. If the
// writer is destroyed before commit() (an exception mid-write), the temporary file is removed.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace transformers::io::detail {

class AtomicFile {
 public:
  explicit AtomicFile(const std::filesystem::path& target);  // EnvironmentError when it cannot create
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);
  void write(std::string_view s) { write(s.data(), s.size()); }
  uint64_t written() const { return written_; }
  void commit();

 private:
  std::filesystem::path target_;
  std::string tmp_;
  int fd_ = -1;
  uint64_t written_ = 0;
};

}  // namespace transformers::io::detail
