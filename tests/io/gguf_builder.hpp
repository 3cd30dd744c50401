#pragma once
// Hand-made GGUF bytes for the hostile-input tests: a little-endian writer of the header fields,
// so each test can break exactly one of them.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace iotest {

struct GGUFBytes {
  std::string b;
  GGUFBytes& u32(uint32_t v) { return raw(&v, 4); }
  GGUFBytes& u64(uint64_t v) { return raw(&v, 8); }
  GGUFBytes& str(std::string_view s) { u64(s.size()); b.append(s); return *this; }
  GGUFBytes& raw(const void* p, size_t n) { b.append(static_cast<const char*>(p), n); return *this; }
  GGUFBytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    b.append("GGUF");
    return u32(version).u64(n_tensors).u64(n_kv);
  }
  GGUFBytes& kv_u32(std::string_view key, uint32_t v) { return str(key).u32(4).u32(v); }
  GGUFBytes& kv_str(std::string_view key, std::string_view v) { return str(key).u32(8).str(v); }
  // One tensor entry: name, rank, dims (ggml order), ggml type, offset.
  GGUFBytes& tensor(std::string_view name, std::initializer_list<uint64_t> dims, uint32_t type, uint64_t offset) {
    str(name).u32(uint32_t(dims.size()));
    for (uint64_t d : dims) u64(d);
    return u32(type).u64(offset);
  }
  GGUFBytes& pad_to(size_t alignment) {
    while (b.size() % alignment) b.push_back('\0');
    return *this;
  }
  GGUFBytes& zeros(size_t n) { b.append(n, '\0'); return *this; }
};

}  // namespace iotest
