#include "io/zip_writer.hpp"

#include "io/zip_reader.hpp"

namespace transformers::io::detail {

namespace {
constexpr uint64_t k32 = 0xffffffffu;
void put16(std::string& s, uint16_t v) { s.push_back(char(v & 0xff)); s.push_back(char(v >> 8)); }
void put32(std::string& s, uint32_t v) { for (int i = 0; i < 4; ++i) s.push_back(char((v >> (8 * i)) & 0xff)); }
void put64(std::string& s, uint64_t v) { for (int i = 0; i < 8; ++i) s.push_back(char((v >> (8 * i)) & 0xff)); }
constexpr uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01, the earliest DOS date
}  // namespace

void ZipWriter::add(const std::string& name, const std::vector<std::string_view>& parts) {
  uint64_t size = 0;
  uint32_t crc = 0;
  for (auto p : parts) {
    size += p.size();
    crc = crc32(p.data(), p.size(), crc);
  }
  const uint64_t offset = out_.written();
  const bool z64 = size >= k32 || offset >= k32;
  std::string h;
  put32(h, 0x04034b50);
  put16(h, z64 ? 45 : 20);
  put16(h, 0x0800);  // names are UTF-8; sizes known up front, so no data descriptor
  put16(h, 0);       // stored
  put16(h, 0);
  put16(h, kDosDate);
  put32(h, crc);
  put32(h, z64 ? uint32_t(k32) : uint32_t(size));
  put32(h, z64 ? uint32_t(k32) : uint32_t(size));
  put16(h, uint16_t(name.size()));
  // extra: optional ZIP64 sizes, then torch's "FB" padding up to a 64-byte aligned data start
  std::string extra;
  if (z64) {
    put16(extra, 0x0001);
    put16(extra, 16);
    put64(extra, size);
    put64(extra, size);
  }
  const uint64_t start = offset + 30 + name.size() + extra.size() + 4;
  const uint64_t pad = (64 - start % 64) % 64;
  extra += "FB";
  put16(extra, uint16_t(pad));
  extra.append(size_t(pad), 'Z');
  put16(h, uint16_t(extra.size()));
  h += name;
  h += extra;
  out_.write(h);
  for (auto p : parts) out_.write(p.data(), p.size());
  entries_.push_back({name, crc, size, offset});
}

void ZipWriter::finish() {
  const uint64_t cd_off = out_.written();
  std::string cd;
  for (const auto& e : entries_) {
    const bool big_size = e.size >= k32, big_off = e.offset >= k32;
    std::string extra;
    if (big_size || big_off) {
      put16(extra, 0x0001);
      put16(extra, uint16_t((big_size ? 16 : 0) + (big_off ? 8 : 0)));
      if (big_size) { put64(extra, e.size); put64(extra, e.size); }
      if (big_off) put64(extra, e.offset);
    }
    put32(cd, 0x02014b50);
    put16(cd, 45);  // made by
    put16(cd, (big_size || big_off) ? 45 : 20);
    put16(cd, 0x0800);
    put16(cd, 0);
    put16(cd, 0);
    put16(cd, kDosDate);
    put32(cd, e.crc);
    put32(cd, big_size ? uint32_t(k32) : uint32_t(e.size));
    put32(cd, big_size ? uint32_t(k32) : uint32_t(e.size));
    put16(cd, uint16_t(e.name.size()));
    put16(cd, uint16_t(extra.size()));
    put16(cd, 0);  // comment
    put16(cd, 0);  // disk
    put16(cd, 0);  // internal attributes
    put32(cd, 0);  // external attributes
    put32(cd, big_off ? uint32_t(k32) : uint32_t(e.offset));
    cd += e.name;
    cd += extra;
  }
  const uint64_t cd_size = cd.size();
  const uint64_t n = entries_.size();
  std::string end;
  const bool z64 = n >= 0xffff || cd_off >= k32 || cd_size >= k32;
  if (z64) {
    const uint64_t rec = cd_off + cd_size;
    put32(end, 0x06064b50);
    put64(end, 44);
    put16(end, 45);
    put16(end, 45);
    put32(end, 0);
    put32(end, 0);
    put64(end, n);
    put64(end, n);
    put64(end, cd_size);
    put64(end, cd_off);
    put32(end, 0x07064b50);
    put32(end, 0);
    put64(end, rec);
    put32(end, 1);
  }
  put32(end, 0x06054b50);
  put16(end, 0);
  put16(end, 0);
  put16(end, z64 ? 0xffff : uint16_t(n));
  put16(end, z64 ? 0xffff : uint16_t(n));
  put32(end, z64 ? uint32_t(k32) : uint32_t(cd_size));
  put32(end, z64 ? uint32_t(k32) : uint32_t(cd_off));
  put16(end, 0);
  out_.write(cd);
  out_.write(end);
}

}  // namespace transformers::io::detail
