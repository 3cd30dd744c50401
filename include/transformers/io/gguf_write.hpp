#pragma once
// GGUF writer (issue 21): metadata key/values of every GGUF type and tensors as stored (float
// types, integer types, GGML block types), version 3, little-endian, tensor data aligned to
// general.alignment (32). The file the `gguf` Python package's GGUFReader and our GGUFReader read
// back with the same keys, values, tensor names, shapes, types and bytes.
//
//   io::GGUFWriter w;
//   w.add_string("general.architecture", "llama");
//   w.add_uint32("llama.block_count", 2);
//   w.add_strings("tokenizer.ggml.tokens", {"a", "b"});
//   w.add_tensor("token_embd.weight", embedding);  // PyTorch shape order; written ggml-reversed
//   w.write("model.gguf");                          // through an AtomicFile
//
// Keys and tensor names must be unique (ValueError); a tensor must be contiguous with a dtype GGUF
// has (ValueError naming the tensor otherwise).
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "transformers/core/tensor.hpp"
#include "transformers/io/gguf.hpp"

namespace transformers::io {

class GGUFWriter {
 public:
  void add_uint8(std::string_view key, uint8_t v);
  void add_int8(std::string_view key, int8_t v);
  void add_uint16(std::string_view key, uint16_t v);
  void add_int16(std::string_view key, int16_t v);
  void add_uint32(std::string_view key, uint32_t v);
  void add_int32(std::string_view key, int32_t v);
  void add_uint64(std::string_view key, uint64_t v);
  void add_int64(std::string_view key, int64_t v);
  void add_float32(std::string_view key, float v);
  void add_float64(std::string_view key, double v);
  void add_bool(std::string_view key, bool v);
  void add_string(std::string_view key, std::string_view v);
  // Arrays of one element type.
  void add_strings(std::string_view key, const std::vector<std::string>& v);
  void add_int32s(std::string_view key, const std::vector<int32_t>& v);
  void add_float32s(std::string_view key, const std::vector<float>& v);

  // The tensor's bytes are copied at write(); `t` is kept (a view of the caller's storage).
  void add_tensor(const std::string& name, const Tensor& t);

  // The whole file as bytes (tests), or written to `file` atomically.
  std::string bytes() const;
  void write(const std::filesystem::path& file) const;

 private:
  void add_raw(std::string_view key, GGUFType type, std::string payload);
  std::string header() const;  // everything before the first tensor's bytes (padded)
  template <typename Sink>
  void emit(Sink&& sink) const;

  std::vector<std::string> keys_;
  std::string kv_;  // serialised key/value pairs
  std::vector<std::pair<std::string, Tensor>> tensors_;
};

// The ggml type id GGUF stores for a dtype (F32 0, F16 1, Q8_0 8, BF16 30, ...); ValueError when
// GGUF has none (bool, float8).
uint32_t ggml_type_of(DType dt);

}  // namespace transformers::io
