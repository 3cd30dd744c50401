#pragma once
// GGUF (llama.cpp's single-file checkpoint): a reader over a read-only mmap. Metadata values are
// decoded on demand from the mapping; tensors are zero-copy views of their blocks (a block type
// such as Q4_1 becomes a Tensor of that DType, .to(float32) dequantizes it bit-exact with gguf-py).
//
//   io::GGUFReader r("model.gguf");
//   r.get_string("general.architecture");           // "llama"
//   r.get_int("llama.block_count");                 // any integer type, as int64
//   r.get_strings("tokenizer.ggml.tokens");         // array of strings
//   Tensor w = r.get_tensor("blk.0.attn_q.weight"); // shape in PyTorch order (ggml's dims reversed)
//
// Layout (versions 2 and 3, little-endian): "GGUF", uint32 version, uint64 tensor count, uint64
// key/value count; each key/value: string key, uint32 type, value (strings: uint64 length + bytes;
// arrays: uint32 element type, uint64 count, elements); each tensor: string name, uint32 rank,
// uint64 dims (fastest first), uint32 ggml type, uint64 offset into the data section, which starts
// at the next multiple of general.alignment (default 32) after the tensor table.
//
// Every size read from the file is checked before use (counts and string lengths against the bytes
// left, dims through checked_mul, tensor extents against the file size); a malformed file is a
// FormatError naming the file, the key or tensor, what was expected and what was found.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "transformers/io/checkpoint.hpp"

namespace transformers::io {

// GGUF metadata value types (gguf_type in ggml, GGUFValueType in gguf-py).
enum class GGUFType : uint32_t {
  UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
  String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
};
std::string_view gguf_type_name(GGUFType t);  // "uint8", ..., "array"

// One metadata value, pointing into the file's bytes (valid while its reader lives). Arrays are
// not expanded at parse time (a hostile count costs nothing until asked for); elements() and the
// reader's typed getters decode them.
struct GGUFValue {
  GGUFType type = GGUFType::UInt8;
  GGUFType element_type = GGUFType::UInt8;  // arrays only
  uint64_t count = 0;                       // arrays: number of elements
  const uint8_t* data = nullptr;            // scalars: the value; strings: the bytes; arrays: first element
  uint64_t nbytes = 0;                      // bytes at `data` (strings: their length)

  bool is_array() const { return type == GGUFType::Array; }
  bool is_integer() const;  // any of the 8 integer types (not bool)
  bool is_float() const { return type == GGUFType::Float32 || type == GGUFType::Float64; }
  // Scalar accessors; a type mismatch is a FormatError naming `what` (the key).
  int64_t as_int(std::string_view what) const;  // uint64 above int64's range is an error
  double as_float(std::string_view what) const;  // float32, float64
  bool as_bool(std::string_view what) const;
  std::string_view as_string(std::string_view what) const;
  // Array elements (arrays of arrays included), in order: for nested arrays; the reader's typed
  // getters decode long arrays without this per-element copy.
  std::vector<GGUFValue> elements() const;
};

// GGML tensor types the reader knows: id, name, block geometry, and the DType it becomes.
struct GGMLType {
  uint32_t id;
  std::string_view name;  // "F32", "Q4_1", "Q6_K", "IQ2_XXS", ...
  uint32_t block_elems;
  uint32_t block_bytes;
  std::optional<DType> dtype;  // nullopt: known layout, not readable into a Tensor (IQ*, TQ*, ...)
};
const GGMLType* find_ggml_type(uint32_t id);  // nullptr when unknown

struct GGUFTensorInfo {
  std::string name;
  std::vector<uint64_t> dims;  // ggml order: dims[0] varies fastest
  Shape shape;                 // PyTorch order (dims reversed), as gguf-py's reader shows it
  const GGMLType* type;
  uint64_t offset;             // relative to the data section
  uint64_t nbytes;
};

class GGUFReader final : public CheckpointReader {
 public:
  // Maps the file and validates all of it (header, metadata, tensor table, tensor extents).
  explicit GGUFReader(const std::filesystem::path& file);
  // Validates an in-memory buffer (fuzzers, tests); the bytes are copied.
  static std::unique_ptr<GGUFReader> from_bytes(std::string_view bytes, std::string name = "<memory>");

  std::string_view format() const override { return "gguf"; }
  const std::string& path() const override { return path_; }
  const std::vector<std::string>& keys() const override { return tensor_names_; }  // file order
  bool contains(const std::string& name) const override { return tensor_index_.count(name) != 0; }
  TensorEntry entry(const std::string& name) const override;
  // The tensor's bytes as stored: a zero-copy view when aligned for its dtype, a copy otherwise.
  // UnsupportedError for a type that has no DType (IQ*, TQ*, ...).
  Tensor get_tensor(const std::string& name) const override;
  // Scalar metadata values as text (strings as they are, numbers in decimal, bools true/false).
  const Metadata& metadata() const override { return metadata_; }

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_start() const { return data_start_; }
  const GGUFTensorInfo& tensor_info(const std::string& name) const;  // KeyError when absent
  const std::vector<GGUFTensorInfo>& tensor_infos() const { return tensors_; }

  // Metadata keys in file order, and lookups. The getters throw KeyError naming the file when the
  // key is absent and FormatError when its value has another type.
  const std::vector<std::string>& field_keys() const { return field_keys_; }
  const GGUFValue* find(std::string_view key) const;
  const GGUFValue& field(std::string_view key) const;
  int64_t get_int(std::string_view key) const;
  double get_float(std::string_view key) const;  // float32/float64 (integers too, as Python would)
  bool get_bool(std::string_view key) const;
  std::string get_string(std::string_view key) const;
  std::vector<std::string> get_strings(std::string_view key) const;
  std::vector<int64_t> get_ints(std::string_view key) const;
  std::vector<double> get_floats(std::string_view key) const;

 private:
  GGUFReader() = default;
  void parse();
  std::string where(std::string_view key) const;  // "GGUF file 'x': key 'k'"

  std::string path_;
  std::shared_ptr<const void> owner_;
  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_start_ = 0;
  std::vector<std::string> field_keys_;
  std::unordered_map<std::string, GGUFValue> fields_;
  std::vector<GGUFTensorInfo> tensors_;
  std::vector<std::string> tensor_names_;
  std::unordered_map<std::string, size_t> tensor_index_;
  Metadata metadata_;
};

// Whether `file` starts with the GGUF magic (false for missing or short files).
bool is_gguf_file(const std::filesystem::path& file);

}  // namespace transformers::io
