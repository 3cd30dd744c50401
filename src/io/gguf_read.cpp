// GGUF reader: one pass over the header that validates every count, length, type and extent
// before anything is allocated from it, then zero-copy tensors and on-demand metadata decoding.
#include "transformers/io/gguf.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <tuple>

#include "io/mapped_file.hpp"
#include "transformers/core/checked.hpp"
#include "transformers/core/error.hpp"
#include "transformers/core/storage.hpp"

namespace transformers::io {

namespace {

// ggml's tensor types with their block geometry (gguf-py constants.py GGML_QUANT_SIZES).
constexpr GGMLType kGGMLTypes[] = {
    {0, "F32", 1, 4, DType::Float32},       {1, "F16", 1, 2, DType::Float16},
    {2, "Q4_0", 32, 18, DType::Q4_0},        {3, "Q4_1", 32, 20, DType::Q4_1},
    {6, "Q5_0", 32, 22, DType::Q5_0},        {7, "Q5_1", 32, 24, DType::Q5_1},
    {8, "Q8_0", 32, 34, DType::Q8_0},        {9, "Q8_1", 32, 40, std::nullopt},
    {10, "Q2_K", 256, 84, DType::Q2_K},      {11, "Q3_K", 256, 110, DType::Q3_K},
    {12, "Q4_K", 256, 144, DType::Q4_K},     {13, "Q5_K", 256, 176, DType::Q5_K},
    {14, "Q6_K", 256, 210, DType::Q6_K},     {15, "Q8_K", 256, 292, std::nullopt},
    {16, "IQ2_XXS", 256, 66, std::nullopt},  {17, "IQ2_XS", 256, 74, std::nullopt},
    {18, "IQ3_XXS", 256, 98, std::nullopt},  {19, "IQ1_S", 256, 50, std::nullopt},
    {20, "IQ4_NL", 32, 18, std::nullopt},    {21, "IQ3_S", 256, 110, std::nullopt},
    {22, "IQ2_S", 256, 82, std::nullopt},    {23, "IQ4_XS", 256, 136, std::nullopt},
    {24, "I8", 1, 1, DType::Int8},           {25, "I16", 1, 2, DType::Int16},
    {26, "I32", 1, 4, DType::Int32},         {27, "I64", 1, 8, DType::Int64},
    {28, "F64", 1, 8, DType::Float64},       {29, "IQ1_M", 256, 56, std::nullopt},
    {30, "BF16", 1, 2, DType::BFloat16},     {34, "TQ1_0", 256, 54, std::nullopt},
    {35, "TQ2_0", 256, 66, std::nullopt},    {39, "MXFP4", 32, 17, std::nullopt},
};

constexpr uint32_t kMaxDims = 4;        // GGML_MAX_DIMS
constexpr int kMaxArrayNesting = 16;    // arrays of arrays: deeper is refused (bounded recursion)

// Bytes of one scalar of a fixed-size type; 0 for string and array.
uint64_t scalar_size(GGUFType t) {
  switch (t) {
    case GGUFType::UInt8: case GGUFType::Int8: case GGUFType::Bool: return 1;
    case GGUFType::UInt16: case GGUFType::Int16: return 2;
    case GGUFType::UInt32: case GGUFType::Int32: case GGUFType::Float32: return 4;
    case GGUFType::UInt64: case GGUFType::Int64: case GGUFType::Float64: return 8;
    default: return 0;
  }
}
bool valid_type(uint32_t t) { return t <= uint32_t(GGUFType::Float64); }

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// A bounds-checked read position in the header; every failure names the file and what was read.
struct Cursor {
  const uint8_t* base;
  uint64_t size;
  uint64_t pos = 0;
  const std::string& file;

  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError("GGUF file '" + file + "': " + what);
  }
  uint64_t left() const { return size - pos; }
  const uint8_t* take(uint64_t n, const std::string& what) {
    if (n > left())
      fail(what + ": expected " + std::to_string(n) + " bytes at offset " + std::to_string(pos) + ", found " +
           std::to_string(left()) + " (the file is truncated)");
    const uint8_t* p = base + pos;
    pos += n;
    return p;
  }
  uint32_t u32(const std::string& what) { return load<uint32_t>(take(4, what)); }
  uint64_t u64(const std::string& what) { return load<uint64_t>(take(8, what)); }
  std::string_view str(const std::string& what) {
    const uint64_t n = u64(what + " (string length)");
    if (n > left())
      fail(what + ": string length " + std::to_string(n) + " exceeds the " + std::to_string(left()) +
           " bytes left in the file");
    return {reinterpret_cast<const char*>(take(n, what)), size_t(n)};
  }
  GGUFType type(const std::string& what) {
    const uint32_t t = u32(what + " (value type)");
    if (!valid_type(t))
      fail(what + ": expected a value type 0..12, found " + std::to_string(t));
    return GGUFType(t);
  }

  // Reads one value of type `t` (the type tag already consumed), checking every length in it.
  GGUFValue value(GGUFType t, const std::string& what, int depth) {
    GGUFValue v;
    v.type = t;
    if (t == GGUFType::String) {
      std::string_view s = str(what);
      v.data = reinterpret_cast<const uint8_t*>(s.data());
      v.nbytes = s.size();
      return v;
    }
    if (t != GGUFType::Array) {
      v.nbytes = scalar_size(t);
      v.data = take(v.nbytes, what);
      return v;
    }
    if (depth >= kMaxArrayNesting)
      fail(what + ": arrays nested deeper than " + std::to_string(kMaxArrayNesting) + " levels");
    v.element_type = type(what + " (array element type)");
    v.count = u64(what + " (array length)");
    // The smallest encoding of one element bounds the count before any element is read.
    const uint64_t min_elem = v.element_type == GGUFType::String  ? 8
                              : v.element_type == GGUFType::Array ? 12
                                                                  : scalar_size(v.element_type);
    if (v.count > left() / min_elem)
      fail(what + ": array of " + std::to_string(v.count) + " " + std::string(gguf_type_name(v.element_type)) +
           " elements needs at least " + std::to_string(min_elem) + " bytes each, found " + std::to_string(left()) +
           " bytes left in the file");
    const uint64_t start = pos;
    v.data = base + pos;
    if (v.element_type == GGUFType::String || v.element_type == GGUFType::Array) {
      for (uint64_t i = 0; i < v.count; ++i) {
        const std::string elem = what + "[" + std::to_string(i) + "]";
        if (v.element_type == GGUFType::String) str(elem);
        else value(GGUFType::Array, elem, depth + 1);
      }
    } else {
      take(v.count * min_elem, what);
    }
    v.nbytes = pos - start;
    return v;
  }
};

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

std::string_view gguf_type_name(GGUFType t) {
  static constexpr std::string_view names[] = {"uint8", "int8",  "uint16", "int16", "uint32", "int32", "float32",
                                               "bool",  "string", "array", "uint64", "int64", "float64"};
  return valid_type(uint32_t(t)) ? names[uint32_t(t)] : "unknown";
}

const GGMLType* find_ggml_type(uint32_t id) {
  for (const auto& t : kGGMLTypes)
    if (t.id == id) return &t;
  return nullptr;
}

// ---- GGUFValue ----

bool GGUFValue::is_integer() const {
  switch (type) {
    case GGUFType::UInt8: case GGUFType::Int8: case GGUFType::UInt16: case GGUFType::Int16:
    case GGUFType::UInt32: case GGUFType::Int32: case GGUFType::UInt64: case GGUFType::Int64: return true;
    default: return false;
  }
}

namespace {
[[noreturn]] void type_mismatch(std::string_view what, std::string_view expected, GGUFType found) {
  throw FormatError(std::string(what) + ": expected " + std::string(expected) + ", found " +
                    std::string(gguf_type_name(found)));
}
}  // namespace

int64_t GGUFValue::as_int(std::string_view what) const {
  switch (type) {
    case GGUFType::UInt8: return load<uint8_t>(data);
    case GGUFType::Int8: return load<int8_t>(data);
    case GGUFType::UInt16: return load<uint16_t>(data);
    case GGUFType::Int16: return load<int16_t>(data);
    case GGUFType::UInt32: return load<uint32_t>(data);
    case GGUFType::Int32: return load<int32_t>(data);
    case GGUFType::Int64: return load<int64_t>(data);
    case GGUFType::UInt64: {
      const uint64_t u = load<uint64_t>(data);
      if (u > uint64_t(std::numeric_limits<int64_t>::max()))
        throw FormatError(std::string(what) + ": expected an integer below 2^63, found " + std::to_string(u));
      return int64_t(u);
    }
    default: type_mismatch(what, "an integer", type);
  }
}

double GGUFValue::as_float(std::string_view what) const {
  if (type == GGUFType::Float32) return load<float>(data);
  if (type == GGUFType::Float64) return load<double>(data);
  if (is_integer()) return double(as_int(what));
  type_mismatch(what, "a number", type);
}

bool GGUFValue::as_bool(std::string_view what) const {
  if (type != GGUFType::Bool) type_mismatch(what, "a bool", type);
  return data[0] != 0;
}

std::string_view GGUFValue::as_string(std::string_view what) const {
  if (type != GGUFType::String) type_mismatch(what, "a string", type);
  return {reinterpret_cast<const char*>(data), size_t(nbytes)};
}

namespace {
// Calls fn(element) for each element of an array without materialising them all (a count from a
// file is bounded by the file size, but one GGUFValue per uint8 would be 48x that).
template <typename Fn>
void for_each_element(const GGUFValue& v, Fn&& fn) {
  if (v.type != GGUFType::Array) return;
  // The parse already walked these bytes, so no bound can fail here; the cursor re-checks anyway.
  static const std::string name = "<array>";
  Cursor c{v.data, v.nbytes, 0, name};
  for (uint64_t i = 0; i < v.count; ++i) fn(c.value(v.element_type, "element", 1));
}
}  // namespace

std::vector<GGUFValue> GGUFValue::elements() const {
  std::vector<GGUFValue> out;
  for_each_element(*this, [&](const GGUFValue& e) { out.push_back(e); });
  return out;
}

// ---- GGUFReader ----

GGUFReader::GGUFReader(const std::filesystem::path& file) {
  const auto b = detail::ReaderBytes::map(file);
  std::tie(path_, owner_, base_, size_) = std::tie(b.path, b.owner, b.data, b.size);
  parse();
}

std::unique_ptr<GGUFReader> GGUFReader::from_bytes(std::string_view bytes, std::string name) {
  std::unique_ptr<GGUFReader> r(new GGUFReader());
  const auto b = detail::ReaderBytes::copy(bytes, std::move(name));
  std::tie(r->path_, r->owner_, r->base_, r->size_) = std::tie(b.path, b.owner, b.data, b.size);
  r->parse();
  return r;
}

std::string GGUFReader::where(std::string_view key) const {
  return "GGUF file '" + path_ + "': key '" + std::string(key) + "'";
}

void GGUFReader::parse() {
  Cursor c{base_, size_, 0, path_};
  const uint8_t* magic = c.take(4, "magic");
  if (std::memcmp(magic, "GGUF", 4) != 0)
    c.fail("expected the magic 'GGUF' at offset 0, found bytes " + std::to_string(magic[0]) + " " +
           std::to_string(magic[1]) + " " + std::to_string(magic[2]) + " " + std::to_string(magic[3]));
  version_ = c.u32("version");
  if (version_ != 2 && version_ != 3) {
    if ((version_ & 0xffffu) == 0)
      throw UnsupportedError("GGUF file '" + path_ + "': big-endian GGUF (version bytes " + std::to_string(version_) +
                             ") is not supported; expected a little-endian file");
    throw UnsupportedError("GGUF file '" + path_ + "': expected GGUF version 2 or 3, found " + std::to_string(version_));
  }
  const uint64_t n_tensors = c.u64("tensor count");
  const uint64_t n_kv = c.u64("metadata key/value count");
  // A key/value takes at least 13 bytes (key length, type, one byte), a tensor entry 24.
  if (n_kv > c.left() / 13)
    c.fail("metadata key/value count " + std::to_string(n_kv) + " cannot fit in the " + std::to_string(c.left()) +
           " bytes left");
  if (n_tensors > c.left() / 24)
    c.fail("tensor count " + std::to_string(n_tensors) + " cannot fit in the " + std::to_string(c.left()) +
           " bytes left");

  for (uint64_t i = 0; i < n_kv; ++i) {
    const std::string key(c.str("metadata key #" + std::to_string(i)));
    const std::string what = "key '" + key + "'";
    GGUFValue v = c.value(c.type(what), what, 0);
    if (!fields_.emplace(key, v).second) c.fail("duplicate metadata key '" + key + "'");
    field_keys_.push_back(key);
    switch (v.type) {
      case GGUFType::Array: break;
      case GGUFType::String: metadata_[key] = std::string(v.as_string(key)); break;
      case GGUFType::Bool: metadata_[key] = v.as_bool(key) ? "true" : "false"; break;
      case GGUFType::Float32: case GGUFType::Float64: metadata_[key] = std::to_string(v.as_float(key)); break;
      case GGUFType::UInt64: metadata_[key] = std::to_string(load<uint64_t>(v.data)); break;
      default: metadata_[key] = std::to_string(v.as_int(key)); break;
    }
  }

  if (const GGUFValue* a = find("general.alignment")) {
    if (!a->is_integer()) type_mismatch(where("general.alignment"), "an integer", a->type);
    const int64_t al = a->as_int(where("general.alignment"));
    if (al <= 0 || (al & (al - 1)) != 0)
      c.fail("key 'general.alignment': expected a power of two, found " + std::to_string(al));
    alignment_ = uint64_t(al);
  }

  tensors_.reserve(size_t(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GGUFTensorInfo t;
    t.name = std::string(c.str("tensor #" + std::to_string(i) + " name"));
    const std::string what = "tensor '" + t.name + "'";
    const uint32_t n_dims = c.u32(what + " rank");
    if (n_dims > kMaxDims)
      c.fail(what + ": expected at most " + std::to_string(kMaxDims) + " dimensions, found " + std::to_string(n_dims));
    std::vector<int64_t> sizes;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t n = c.u64(what + " dimension " + std::to_string(d));
      if (n > uint64_t(std::numeric_limits<int64_t>::max()))
        c.fail(what + ": dimension " + std::to_string(d) + " is " + std::to_string(n) + ", expected below 2^63");
      t.dims.push_back(n);
      sizes.push_back(int64_t(n));
    }
    const uint32_t type_id = c.u32(what + " type");
    t.type = find_ggml_type(type_id);
    if (!t.type) c.fail(what + ": unknown ggml type " + std::to_string(type_id));
    t.offset = c.u64(what + " data offset");
    const int64_t numel = checked_product(sizes, "GGUF file '" + path_ + "': " + what + " element count");
    // A zero dimension makes the count 0, but the tensor's strides are still the products of the
    // other dimensions: refuse those that overflow too (fuzz_gguf finding, 2026-12-03).
    std::vector<int64_t> extents;
    for (int64_t n : sizes) extents.push_back(std::max<int64_t>(n, 1));
    checked_product(extents, "GGUF file '" + path_ + "': " + what + " strides");
    const int64_t row = sizes.empty() ? 1 : sizes[0];
    if (row % int64_t(t.type->block_elems) != 0)
      c.fail(what + ": " + std::string(t.type->name) + " stores blocks of " + std::to_string(t.type->block_elems) +
             " elements, found a row of " + std::to_string(row));
    t.nbytes = uint64_t(checked_mul(numel / int64_t(t.type->block_elems), int64_t(t.type->block_bytes),
                                    "GGUF file '" + path_ + "': " + what + " byte size"));
    t.shape.assign(sizes.rbegin(), sizes.rend());
    if (tensor_index_.count(t.name)) c.fail("duplicate tensor name '" + t.name + "'");
    tensor_index_.emplace(t.name, tensors_.size());
    tensor_names_.push_back(t.name);
    tensors_.push_back(std::move(t));
  }

  // The data section starts at the next multiple of the alignment.
  data_start_ = c.pos + (alignment_ - c.pos % alignment_) % alignment_;
  const uint64_t data_size = data_start_ <= size_ ? size_ - data_start_ : 0;
  for (const auto& t : tensors_) {
    const std::string what = "tensor '" + t.name + "'";
    if (t.offset % alignment_ != 0)
      c.fail(what + ": data offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
             std::to_string(alignment_));
    if (data_start_ > size_ || t.offset > data_size || t.nbytes > data_size - t.offset)
      c.fail(what + ": expected " + std::to_string(t.nbytes) + " bytes at data offset " + std::to_string(t.offset) +
             " (file offset " + std::to_string(data_start_) + " + " + std::to_string(t.offset) + "), found a file of " +
             std::to_string(size_) + " bytes");
  }
}

const GGUFTensorInfo& GGUFReader::tensor_info(const std::string& name) const {
  auto it = tensor_index_.find(name);
  if (it == tensor_index_.end()) throw KeyError("GGUF file '" + path_ + "' has no tensor '" + name + "'");
  return tensors_[it->second];
}

TensorEntry GGUFReader::entry(const std::string& name) const {
  const GGUFTensorInfo& t = tensor_info(name);
  return {t.name, std::string(t.type->name), t.type->dtype, t.shape};
}

Tensor GGUFReader::get_tensor(const std::string& name) const {
  const GGUFTensorInfo& t = tensor_info(name);
  if (!t.type->dtype)
    throw UnsupportedError("GGUF file '" + path_ + "': tensor '" + name + "' has ggml type " +
                           std::string(t.type->name) + ", which cannot be read (supported: F32, F16, BF16, F64, I8-I64, "
                           "Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K-Q6_K)");
  const DType dt = *t.type->dtype;
  const uint8_t* p = base_ + data_start_ + t.offset;
  // Block types are read bytewise; element types need their natural alignment for a view.
  const size_t align = is_quantized(dt) ? 1 : dtype_size(dt);
  if (reinterpret_cast<uintptr_t>(p) % align == 0)
    return Tensor::from_blob(const_cast<uint8_t*>(p), t.shape, dt, owner_, /*read_only=*/true);
  Tensor out = Tensor::empty(t.shape, dt);
  if (t.nbytes) std::memcpy(out.data_ptr(), p, size_t(t.nbytes));
  return out;
}

const GGUFValue* GGUFReader::find(std::string_view key) const {
  auto it = fields_.find(std::string(key));
  return it == fields_.end() ? nullptr : &it->second;
}

const GGUFValue& GGUFReader::field(std::string_view key) const {
  const GGUFValue* v = find(key);
  if (!v) throw KeyError("GGUF file '" + path_ + "' has no metadata key '" + std::string(key) + "'");
  return *v;
}

int64_t GGUFReader::get_int(std::string_view key) const { return field(key).as_int(where(key)); }
double GGUFReader::get_float(std::string_view key) const { return field(key).as_float(where(key)); }
bool GGUFReader::get_bool(std::string_view key) const { return field(key).as_bool(where(key)); }
std::string GGUFReader::get_string(std::string_view key) const { return std::string(field(key).as_string(where(key))); }

namespace {
const GGUFValue& array_of(const GGUFValue& v, const std::string& what, std::string_view expected) {
  if (!v.is_array()) type_mismatch(what, "an array of " + std::string(expected), v.type);
  return v;
}
}  // namespace

std::vector<std::string> GGUFReader::get_strings(std::string_view key) const {
  const GGUFValue& v = array_of(field(key), where(key), "strings");
  if (v.element_type != GGUFType::String) type_mismatch(where(key), "an array of strings, array of", v.element_type);
  std::vector<std::string> out;
  out.reserve(size_t(v.count));
  for_each_element(v, [&](const GGUFValue& e) { out.emplace_back(e.as_string(where(key))); });
  return out;
}

std::vector<int64_t> GGUFReader::get_ints(std::string_view key) const {
  const GGUFValue& v = array_of(field(key), where(key), "integers");
  std::vector<int64_t> out;
  out.reserve(size_t(v.count));
  for_each_element(v, [&](const GGUFValue& e) { out.push_back(e.as_int(where(key) + " element")); });
  return out;
}

std::vector<double> GGUFReader::get_floats(std::string_view key) const {
  const GGUFValue& v = array_of(field(key), where(key), "numbers");
  std::vector<double> out;
  out.reserve(size_t(v.count));
  for_each_element(v, [&](const GGUFValue& e) { out.push_back(e.as_float(where(key) + " element")); });
  return out;
}

bool is_gguf_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return false;  // never open a FIFO or device
  std::ifstream in(file, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

}  // namespace transformers::io
