#pragma once
// safetensors: reader over a read-only mmap (tensors are zero-copy views when their bytes are
// aligned for their dtype, copies otherwise) and a writer that produces the same bytes as the
// Python/Rust `safetensors` package. Layout and checks: docs spec formats-and-tokenizers.md §1.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "transformers/io/checkpoint.hpp"

namespace transformers::io {

namespace detail { class MappedFile; }

// A safetensors dtype string with its bit width and the core dtype it maps to (if any).
struct SafetensorsDType {
  std::string_view name;       // "F32", "F8_E4M3FNUZ", "F4", ...
  int bits;                    // 4, 6, 8, 16, 32, 64
  std::optional<DType> dtype;  // nullopt: readable/validated, not convertible to a core Tensor
  int rank;                    // position in the reference writer's descending alignment order
};
// Looks up a dtype string; nullptr when unknown.
const SafetensorsDType* find_safetensors_dtype(std::string_view name);

// Largest header the reference accepts (and writes).
inline constexpr uint64_t kSafetensorsMaxHeader = 100'000'000;

class SafetensorsReader final : public CheckpointReader {
 public:
  // Maps the file and validates its header (every check of spec §1.5, plus duplicate keys).
  // Throws FileNotFoundError, or FormatError naming the file and what is wrong.
  explicit SafetensorsReader(const std::filesystem::path& file);
  // Validates an in-memory buffer (used by fuzzers and tests); the bytes are copied.
  static std::unique_ptr<SafetensorsReader> from_bytes(std::string_view bytes, std::string name = "<memory>");

  std::string_view format() const override { return "safetensors"; }
  const std::string& path() const override { return path_; }
  const std::vector<std::string>& keys() const override { return keys_; }
  bool contains(const std::string& name) const override { return index_.count(name) != 0; }
  TensorEntry entry(const std::string& name) const override;
  Tensor get_tensor(const std::string& name) const override;
  const Metadata& metadata() const override { return metadata_; }
  // Whether __metadata__ was present in the file (null counts as absent).
  bool has_metadata() const { return has_metadata_; }
  // Byte range [begin, end) of a tensor in the data section, and where that section starts.
  std::pair<uint64_t, uint64_t> data_offsets(const std::string& name) const;
  uint64_t data_start() const { return data_start_; }

 private:
  struct Info {
    const SafetensorsDType* dtype;
    Shape shape;
    uint64_t begin, end;
  };
  SafetensorsReader() = default;
  void parse();
  const Info& info(const std::string& name) const;

  std::string path_;
  std::shared_ptr<const void> owner_;  // keeps the bytes alive (mapping or heap copy)
  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  uint64_t data_start_ = 0;
  std::vector<std::string> keys_;
  std::unordered_map<std::string, Info> index_;
  Metadata metadata_;
  bool has_metadata_ = false;
};

// The bytes Python's safetensors.torch.save(tensors, metadata) produces: tensors sorted by dtype
// alignment (descending) then name, header JSON as serde_json writes it, padded with spaces to a
// multiple of 8. Metadata keys are written sorted (Python's order is a Rust HashMap's, i.e. random,
// so files with 2+ metadata keys are only identical up to that order). Non-contiguous tensors are
// written in logical order. Throws ValueError for duplicate names, the name "__metadata__", names
// that are not UTF-8, and tensors sharing memory (safetensors refuses aliases).
std::string safetensors_serialize(const NamedTensors& tensors, const Metadata& metadata = {});
// Same bytes, written atomically: temporary file in the same folder, fsync, rename, fsync folder.
void save_safetensors(const std::filesystem::path& file, const NamedTensors& tensors, const Metadata& metadata = {});
// Reads a whole file (zero-copy views); shorthand for SafetensorsReader(file).tensors().
NamedTensors load_safetensors(const std::filesystem::path& file);

}  // namespace transformers::io
