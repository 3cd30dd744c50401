#pragma once
// Minimal ZIP reader for torch.save archives: central directory (ZIP64 too), stored entries read
// in place from a byte buffer (usually a mapping). Deflated entries are listed but not decoded;
// torch never compresses. Every offset and length is checked against the buffer.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace transformers::io::detail {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;      // 0 stored, 8 deflate
  uint32_t crc32 = 0;
  uint64_t size = 0;        // uncompressed
  uint64_t comp_size = 0;
  uint64_t header_offset = 0;
  uint64_t data_offset = 0;  // first byte of the entry data (after the local header)
};

class ZipReader {
 public:
  // Parses the central directory; FormatError naming `file` on any inconsistency.
  ZipReader(const uint8_t* data, size_t size, std::string file);
  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;
  // The bytes of a stored entry (UnsupportedError for compressed ones).
  std::string_view read(const ZipEntry& e) const;
  const std::string& file() const { return file_; }

 private:
  const uint8_t* data_;
  size_t size_;
  std::string file_;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, size_t> by_name_;
};

uint32_t crc32(const void* data, size_t n, uint32_t crc = 0);

}  // namespace transformers::io::detail
