#include "io/zip_reader.hpp"

#include <array>

#include "transformers/core/error.hpp"

namespace transformers::io::detail {

namespace {
uint16_t u16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t u32(const uint8_t* p) { return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24); }
uint64_t u64(const uint8_t* p) { return uint64_t(u32(p)) | (uint64_t(u32(p + 4)) << 32); }

constexpr uint32_t kLocal = 0x04034b50, kCentral = 0x02014b50, kEnd = 0x06054b50;
constexpr uint32_t kEnd64 = 0x06064b50, kLocator64 = 0x07064b50;

const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> t = [] {
    std::array<uint32_t, 256> r{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      r[i] = c;
    }
    return r;
  }();
  return t;
}
}  // namespace

uint32_t crc32(const void* data, size_t n, uint32_t crc) {
  const auto& t = crc_table();
  const uint8_t* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = t[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

ZipReader::ZipReader(const uint8_t* data, size_t size, std::string file) : data_(data), size_(size), file_(std::move(file)) {
  auto fail = [&](const std::string& what) { throw FormatError("zip archive '" + file_ + "': " + what); };
  if (size_ < 22) fail("file of " + std::to_string(size_) + " bytes is too short for a zip end record (truncated?)");
  // End of central directory: the last 22+comment bytes; the comment is at most 65535 bytes.
  size_t eocd = size_t(-1);
  const size_t lowest = size_ > 22 + 65535 ? size_ - 22 - 65535 : 0;
  for (size_t p = size_ - 22 + 1; p-- > lowest;) {
    if (u32(data_ + p) == kEnd && p + 22 + u16(data_ + p + 20) == size_) { eocd = p; break; }
  }
  if (eocd == size_t(-1)) fail("no end-of-central-directory record (truncated or not a zip file)");
  uint64_t count = u16(data_ + eocd + 10);
  uint64_t cd_size = u32(data_ + eocd + 12);
  uint64_t cd_off = u32(data_ + eocd + 16);
  if (count == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu) {
    if (eocd < 20 || u32(data_ + eocd - 20) != kLocator64) fail("ZIP64 end locator missing");
    const uint64_t e64 = u64(data_ + eocd - 20 + 8);
    if (size_ < 56 || e64 > size_ - 56 || u32(data_ + e64) != kEnd64) fail("ZIP64 end record out of range or corrupt");
    count = u64(data_ + e64 + 32);
    cd_size = u64(data_ + e64 + 40);
    cd_off = u64(data_ + e64 + 48);
  }
  if (cd_off > size_ || cd_size > size_ - cd_off) fail("central directory lies outside the file");
  if (count > cd_size / 46) fail("central directory claims " + std::to_string(count) + " entries, too many for its size");
  entries_.reserve(size_t(count));
  uint64_t p = cd_off;
  const uint64_t cd_end = cd_off + cd_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (p + 46 > cd_end || u32(data_ + p) != kCentral) fail("central directory entry " + std::to_string(i) + " is corrupt");
    ZipEntry e;
    e.method = u16(data_ + p + 10);
    e.crc32 = u32(data_ + p + 16);
    e.comp_size = u32(data_ + p + 20);
    e.size = u32(data_ + p + 24);
    const uint16_t nlen = u16(data_ + p + 28), xlen = u16(data_ + p + 30), clen = u16(data_ + p + 32);
    e.header_offset = u32(data_ + p + 42);
    if (p + 46 + nlen + xlen + clen > cd_end) fail("central directory entry " + std::to_string(i) + " runs past its end");
    e.name.assign(reinterpret_cast<const char*>(data_ + p + 46), nlen);
    // ZIP64 extra field: the 64-bit values of the fields saturated at 0xffffffff, in this order.
    const uint8_t* x = data_ + p + 46 + nlen;
    for (uint32_t xo = 0; xo + 4 <= xlen;) {
      const uint16_t id = u16(x + xo), len = u16(x + xo + 2);
      if (xo + 4 + len > xlen) fail("extra field of '" + e.name + "' runs past its end");
      if (id == 0x0001) {
        uint32_t q = xo + 4;
        auto take = [&](uint64_t& field) {
          if (field != 0xffffffffu) return;
          if (q + 8 > xo + 4u + len) fail("ZIP64 extra field of '" + e.name + "' is too short");
          field = u64(x + q);
          q += 8;
        };
        take(e.size);
        take(e.comp_size);
        take(e.header_offset);
      }
      xo += 4 + len;
    }
    // Local header: its own name/extra lengths decide where the data starts (torch pads there).
    if (e.header_offset > size_ || size_ - e.header_offset < 30 || u32(data_ + e.header_offset) != kLocal)
      fail("local header of '" + e.name + "' is missing or out of range");
    const uint64_t lnl = u16(data_ + e.header_offset + 26), lxl = u16(data_ + e.header_offset + 28);
    e.data_offset = e.header_offset + 30 + lnl + lxl;
    if (e.data_offset > size_ || e.comp_size > size_ - e.data_offset)
      fail("data of '" + e.name + "' (" + std::to_string(e.comp_size) + " bytes) runs past the end of the file");
    if (e.method == 0 && e.comp_size != e.size) fail("stored entry '" + e.name + "' has different sizes");
    if (!by_name_.emplace(e.name, entries_.size()).second) fail("duplicate entry '" + e.name + "'");
    entries_.push_back(std::move(e));
    p += 46 + nlen + xlen + clen;
  }
}

const ZipEntry* ZipReader::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

std::string_view ZipReader::read(const ZipEntry& e) const {
  if (e.method != 0)
    throw UnsupportedError("zip archive '" + file_ + "': entry '" + e.name + "' is compressed (method " +
                           std::to_string(e.method) + "); torch.save writes stored entries only");
  return {reinterpret_cast<const char*>(data_ + e.data_offset), size_t(e.size)};
}

}  // namespace transformers::io::detail
