// safetensors reader: header validation in the order of spec §1.5, tensors as views of the mapping.
#include <algorithm>
#include <cstring>
#include <tuple>
#include <limits>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "io/mapped_file.hpp"
#include "io/safetensors_header.hpp"
#include "transformers/io/safetensors.hpp"

namespace transformers::io {

namespace {
// rank = position in the reference writer's order (descending alignment, spec §1.4).
constexpr SafetensorsDType kDTypes[] = {
    {"U64", 64, std::nullopt, 0},
    {"I64", 64, DType::Int64, 1},
    {"F64", 64, DType::Float64, 2},
    {"C64", 64, std::nullopt, 3},
    {"F32", 32, DType::Float32, 4},
    {"U32", 32, std::nullopt, 5},
    {"I32", 32, DType::Int32, 6},
    {"BF16", 16, DType::BFloat16, 7},
    {"F16", 16, DType::Float16, 8},
    {"U16", 16, std::nullopt, 9},
    {"I16", 16, DType::Int16, 10},
    {"F8_E5M2FNUZ", 8, std::nullopt, 11},
    {"F8_E4M3FNUZ", 8, std::nullopt, 12},
    {"F8_E8M0", 8, std::nullopt, 13},
    {"F8_E4M3", 8, DType::Float8E4M3, 14},
    {"F8_E5M2", 8, DType::Float8E5M2, 15},
    {"I8", 8, DType::Int8, 16},
    {"U8", 8, DType::UInt8, 17},
    {"F6_E3M2", 6, std::nullopt, 18},
    {"F6_E2M3", 6, std::nullopt, 19},
    {"F4", 4, std::nullopt, 20},
    {"BOOL", 8, DType::Bool, 21},
};

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

const SafetensorsDType* find_safetensors_dtype(std::string_view name) {
  for (const auto& d : kDTypes)
    if (d.name == name) return &d;
  return nullptr;
}

SafetensorsReader::SafetensorsReader(const std::filesystem::path& file) {
  const auto b = detail::ReaderBytes::map(file);
  std::tie(path_, owner_, base_, size_) = std::tie(b.path, b.owner, b.data, b.size);
  parse();
}

std::unique_ptr<SafetensorsReader> SafetensorsReader::from_bytes(std::string_view bytes, std::string name) {
  std::unique_ptr<SafetensorsReader> r(new SafetensorsReader());
  const auto b = detail::ReaderBytes::copy(bytes, std::move(name));
  std::tie(r->path_, r->owner_, r->base_, r->size_) = std::tie(b.path, b.owner, b.data, b.size);
  r->parse();
  return r;
}

void SafetensorsReader::parse() {
  const std::string& f = path_;
  auto fail = [&](const std::string& what) { throw FormatError("safetensors file '" + f + "': " + what); };
  // 1-2: header length.
  if (size_ < 8) fail("file is " + std::to_string(size_) + " bytes, shorter than the 8-byte header length");
  const uint64_t n = read_u64_le(base_);
  if (n > kSafetensorsMaxHeader)
    fail("header length " + std::to_string(n) + " exceeds the limit of " + std::to_string(kSafetensorsMaxHeader));
  if (n > size_ - 8)
    fail("header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(size_) +
         " bytes): truncated file?");
  data_start_ = 8 + n;
  // 3: JSON (the canonical layout through the fast reader, anything else through the full parser).
  const std::string_view text(reinterpret_cast<const char*>(base_ + 8), size_t(n));
  std::optional<detail::ParsedHeader> fast = detail::parse_header_fast(text);
  detail::ParsedHeader header = fast ? std::move(*fast) : detail::parse_header_json(text, f);
  metadata_ = std::move(header.metadata);
  has_metadata_ = header.has_metadata;
  using Pending = detail::HeaderEntry;
  std::vector<Pending>& entries = header.entries;

  // 4-5: offsets contiguous from 0, sizes equal to shape x dtype.
  std::sort(entries.begin(), entries.end(), [](const Pending& a, const Pending& b) {
    return std::pair(a.begin, a.end) < std::pair(b.begin, b.end);
  });
  uint64_t expected = 0;
  for (const auto& p : entries) {
    const auto& in = p;
    if (in.begin != expected || in.end < in.begin)
      fail("tensor '" + p.name + "' has data_offsets [" + std::to_string(in.begin) + ", " + std::to_string(in.end) +
           "], expected it to begin at " + std::to_string(expected) + " (overlap, gap or reversed range)");
    uint64_t numel = 1;
    for (int64_t d : in.shape) {
      if (d != 0 && numel > std::numeric_limits<uint64_t>::max() / uint64_t(d))
        fail("tensor '" + p.name + "': element count of shape " + shape_str(in.shape) + " overflows");
      numel *= uint64_t(d);
    }
    if (numel > std::numeric_limits<uint64_t>::max() / uint64_t(in.dtype->bits))
      fail("tensor '" + p.name + "': bit size of shape " + shape_str(in.shape) + " overflows");
    const uint64_t bits = numel * uint64_t(in.dtype->bits);
    if (bits % 8 != 0)
      fail("tensor '" + p.name + "': " + std::to_string(bits) + " bits of " + std::string(in.dtype->name) +
           " is not a whole number of bytes");
    if (in.end - in.begin != bits / 8)
      fail("tensor '" + p.name + "': shape " + shape_str(in.shape) + " of " + std::string(in.dtype->name) +
           " needs " + std::to_string(bits / 8) + " bytes, data_offsets give " + std::to_string(in.end - in.begin));
    expected = in.end;
  }
  // 6: the data section is covered exactly.
  if (expected != size_ - data_start_)
    fail("tensors cover " + std::to_string(expected) + " bytes of data but the file holds " +
         std::to_string(size_ - data_start_) + " after the header (truncated file or trailing bytes)");

  for (auto& p : entries) {
    keys_.push_back(p.name);
    index_.emplace(std::move(p.name), Info{p.dtype, std::move(p.shape), p.begin, p.end});
  }
  std::sort(keys_.begin(), keys_.end());  // safe_open.keys() order
}

const SafetensorsReader::Info& SafetensorsReader::info(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw KeyError("safetensors file '" + path_ + "' has no tensor named '" + name + "'");
  return it->second;
}

TensorEntry SafetensorsReader::entry(const std::string& name) const {
  const Info& in = info(name);
  return {name, std::string(in.dtype->name), in.dtype->dtype, in.shape};
}

std::pair<uint64_t, uint64_t> SafetensorsReader::data_offsets(const std::string& name) const {
  const Info& in = info(name);
  return {in.begin, in.end};
}

Tensor SafetensorsReader::get_tensor(const std::string& name) const {
  const Info& in = info(name);
  if (!in.dtype->dtype)
    throw UnsupportedError("safetensors file '" + path_ + "': tensor '" + name + "' has dtype " +
                           std::string(in.dtype->name) + ", which this library cannot hold in a Tensor");
  const DType dt = *in.dtype->dtype;
  const size_t nbytes = size_t(in.end - in.begin);
  const uint8_t* p = base_ + data_start_ + in.begin;
  std::shared_ptr<Storage> storage;
  if (reinterpret_cast<uintptr_t>(p) % dtype_size(dt) == 0) {
    // Zero copy: one Storage per tensor (so tensors never look tied), owned by the mapping.
    storage = Storage::borrow(const_cast<uint8_t*>(p), nbytes, owner_, /*read_only=*/true);
  } else {
    storage = Storage::allocate(nbytes);
    if (nbytes) std::memcpy(storage->data(), p, nbytes);
  }
  return Tensor::make_view(std::move(storage), in.shape, contiguous_strides(in.shape), 0, dt);
}

NamedTensors load_safetensors(const std::filesystem::path& file) { return SafetensorsReader(file).tensors(); }

NamedTensors CheckpointReader::tensors() const {
  NamedTensors out;
  out.reserve(keys().size());
  for (const auto& k : keys()) out.emplace_back(k, get_tensor(k));
  return out;
}

}  // namespace transformers::io
