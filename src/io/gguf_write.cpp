// GGUF writer: the layout of include/transformers/io/gguf.hpp (what gguf_read.cpp parses), written
// as gguf-py's GGUFWriter lays it out: header, key/values, tensor infos, padding to the alignment,
// then each tensor's bytes padded to the alignment.
#include "transformers/io/gguf_write.hpp"

#include <algorithm>
#include <cstring>

#include "transformers/core/checked.hpp"
#include "transformers/core/error.hpp"
#include "transformers/io/atomic_file.hpp"

namespace transformers::io {

namespace {

constexpr uint64_t kAlignment = 32;  // GGUF_DEFAULT_ALIGNMENT

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}
void put_string(std::string& out, std::string_view s) {
  put<uint64_t>(out, s.size());
  out.append(s);
}
template <typename T>
std::string scalar(T v) {
  std::string s;
  put(s, v);
  return s;
}
uint64_t padded(uint64_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

}  // namespace

uint32_t ggml_type_of(DType dt) {
  for (uint32_t id = 0; id < 64; ++id)
    if (const GGMLType* t = find_ggml_type(id); t && t->dtype == dt) return id;
  throw ValueError("GGUF: no ggml tensor type stores " + std::string(dtype_name(dt)));
}

void GGUFWriter::add_raw(std::string_view key, GGUFType type, std::string payload) {
  if (std::find(keys_.begin(), keys_.end(), key) != keys_.end())
    throw ValueError("GGUF writer: duplicate key '" + std::string(key) + "'");
  keys_.emplace_back(key);
  put_string(kv_, key);
  put<uint32_t>(kv_, uint32_t(type));
  kv_ += payload;
}

void GGUFWriter::add_uint8(std::string_view k, uint8_t v) { add_raw(k, GGUFType::UInt8, scalar(v)); }
void GGUFWriter::add_int8(std::string_view k, int8_t v) { add_raw(k, GGUFType::Int8, scalar(v)); }
void GGUFWriter::add_uint16(std::string_view k, uint16_t v) { add_raw(k, GGUFType::UInt16, scalar(v)); }
void GGUFWriter::add_int16(std::string_view k, int16_t v) { add_raw(k, GGUFType::Int16, scalar(v)); }
void GGUFWriter::add_uint32(std::string_view k, uint32_t v) { add_raw(k, GGUFType::UInt32, scalar(v)); }
void GGUFWriter::add_int32(std::string_view k, int32_t v) { add_raw(k, GGUFType::Int32, scalar(v)); }
void GGUFWriter::add_uint64(std::string_view k, uint64_t v) { add_raw(k, GGUFType::UInt64, scalar(v)); }
void GGUFWriter::add_int64(std::string_view k, int64_t v) { add_raw(k, GGUFType::Int64, scalar(v)); }
void GGUFWriter::add_float32(std::string_view k, float v) { add_raw(k, GGUFType::Float32, scalar(v)); }
void GGUFWriter::add_float64(std::string_view k, double v) { add_raw(k, GGUFType::Float64, scalar(v)); }
void GGUFWriter::add_bool(std::string_view k, bool v) { add_raw(k, GGUFType::Bool, scalar(uint8_t(v ? 1 : 0))); }
void GGUFWriter::add_string(std::string_view k, std::string_view v) {
  std::string p;
  put_string(p, v);
  add_raw(k, GGUFType::String, std::move(p));
}
void GGUFWriter::add_strings(std::string_view k, const std::vector<std::string>& v) {
  std::string p;
  put<uint32_t>(p, uint32_t(GGUFType::String));
  put<uint64_t>(p, v.size());
  for (const auto& s : v) put_string(p, s);
  add_raw(k, GGUFType::Array, std::move(p));
}
void GGUFWriter::add_int32s(std::string_view k, const std::vector<int32_t>& v) {
  std::string p;
  put<uint32_t>(p, uint32_t(GGUFType::Int32));
  put<uint64_t>(p, v.size());
  for (int32_t x : v) put(p, x);
  add_raw(k, GGUFType::Array, std::move(p));
}
void GGUFWriter::add_float32s(std::string_view k, const std::vector<float>& v) {
  std::string p;
  put<uint32_t>(p, uint32_t(GGUFType::Float32));
  put<uint64_t>(p, v.size());
  for (float x : v) put(p, x);
  add_raw(k, GGUFType::Array, std::move(p));
}

void GGUFWriter::add_tensor(const std::string& name, const Tensor& t) {
  for (const auto& [n, _] : tensors_)
    if (n == name) throw ValueError("GGUF writer: duplicate tensor '" + name + "'");
  if (!t.defined()) throw ValueError("GGUF writer: tensor '" + name + "' is undefined");
  if (t.dim() < 1 || t.dim() > 4)
    throw ValueError("GGUF writer: tensor '" + name + "' needs 1 to 4 dimensions, found " + std::to_string(t.dim()));
  ggml_type_of(t.dtype());  // throws for a dtype GGUF has no type for
  const Tensor c = is_quantized(t.dtype()) ? t : t.contiguous();
  if (!c.is_contiguous() || c.storage_offset() != 0)
    throw ValueError("GGUF writer: block-quantized tensor '" + name + "' must be a whole contiguous tensor");
  tensors_.emplace_back(name, c);
}

std::string GGUFWriter::header() const {
  std::string out;
  out.append("GGUF");
  put<uint32_t>(out, 3);
  put<uint64_t>(out, tensors_.size());
  put<uint64_t>(out, keys_.size());
  out += kv_;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors_) {
    put_string(out, name);
    put<uint32_t>(out, uint32_t(t.dim()));
    for (int64_t d = t.dim(); d-- > 0;) put<uint64_t>(out, uint64_t(t.size(d)));  // ggml order: fastest first
    put<uint32_t>(out, ggml_type_of(t.dtype()));
    put<uint64_t>(out, offset);
    offset = padded(uint64_t(checked_add(int64_t(offset), int64_t(t.nbytes()), "GGUF writer: data size")));
  }
  out.resize(padded(out.size()), '\0');
  return out;
}

template <typename Sink>
void GGUFWriter::emit(Sink&& sink) const {
  sink(header());
  static const char zeros[kAlignment] = {};
  for (const auto& [name, t] : tensors_) {
    sink(std::string_view(static_cast<const char*>(t.data_ptr()), t.nbytes()));
    sink(std::string_view(zeros, padded(t.nbytes()) - t.nbytes()));
  }
}

std::string GGUFWriter::bytes() const {
  std::string out;
  emit([&](std::string_view b) { out.append(b); });
  return out;
}

void GGUFWriter::write(const std::filesystem::path& file) const {
  AtomicFile f(file);
  emit([&](std::string_view b) { f.write(b); });  // tensors streamed, not gathered in memory
  f.commit();
}

}  // namespace transformers::io
