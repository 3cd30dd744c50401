#pragma once
// ZIP writer for torch.save archives: stored entries only, each entry's data 64-byte aligned with
// torch's "FB" padding extra field, CRC-32s, and ZIP64 fields when sizes or offsets need them.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "transformers/io/atomic_file.hpp"

namespace transformers::io::detail {

class ZipWriter {
 public:
  explicit ZipWriter(AtomicFile& out) : out_(out) {}
  // Writes one stored entry from a list of byte ranges (concatenated).
  void add(const std::string& name, const std::vector<std::string_view>& parts);
  void add(const std::string& name, std::string_view data) { add(name, std::vector<std::string_view>{data}); }
  void finish();  // central directory and end records

 private:
  struct Entry {
    std::string name;
    uint32_t crc;
    uint64_t size, offset;
  };
  AtomicFile& out_;
  std::vector<Entry> entries_;
};

}  // namespace transformers::io::detail
