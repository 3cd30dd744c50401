#pragma once
// Checkpoint I/O: one interface for every weight-file format, and the entry points the modeling
// layer calls.
//
//   // read: a file (model.safetensors, pytorch_model.bin, legacy torch file), an index json, or a
//   // folder (resolution order of from_pretrained: model[.v].safetensors, its index,
//   // pytorch_model[.v].bin, its index)
//   io::Checkpoint ck = io::open_checkpoint("path/to/folder", {.variant = "fp16"});
//   for (auto& [name, t] : ck.tensors) ...          // dtype as stored; zero-copy views of the mapping
//   ck.metadata.at("format");                        // "pt" (safetensors __metadata__; empty for .bin)
//
//   // or one file at a time, lazily:
//   auto r = io::open_checkpoint_file("model.safetensors");
//   r->keys(); r->entry("wte.weight").shape; Tensor w = r->get_tensor("wte.weight");
//
//   // write what save_pretrained writes (shards + index, variant names, atomic files):
//   io::save_state_dict(folder, named_tensors, {.max_shard_size = "5GB", .safe_serialization = true});
//
// Tensors handed out by readers keep the file mapping alive through their Storage (read-only
// borrowed memory: call .clone() or .contiguous() on a copy before writing into one). Every
// malformed or hostile input raises a typed transformers::Error naming the file: FormatError for
// bytes that break the format, SecurityError for pickles asking for forbidden globals and index
// entries escaping their folder, UnsupportedError for valid files using features we do not read.
// Nothing in a file is ever executed.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "transformers/core/tensor.hpp"

namespace transformers::io {

class FolderSave;

// Ordered (name, tensor) pairs; the same type as nn::NamedTensors.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
// String-to-string metadata (safetensors __metadata__).
using Metadata = std::map<std::string, std::string>;

// What a file says about one tensor, without touching its bytes.
struct TensorEntry {
  std::string name;
  std::string dtype_name;      // as the file spells it: "F32", "F8_E4M3FNUZ", "float32", ...
  std::optional<DType> dtype;  // empty when core has no such dtype (get_tensor then throws UnsupportedError)
  Shape shape;
};

// One checkpoint file opened for reading. Formats plug in by implementing this (safetensors and
// PyTorch pickle today; HDF5, msgpack and GGUF later).
class CheckpointReader {
 public:
  virtual ~CheckpointReader() = default;
  virtual std::string_view format() const = 0;  // "safetensors", "pytorch", "pytorch-legacy"
  virtual const std::string& path() const = 0;
  // Tensor names: sorted for safetensors (as safe_open.keys()), state-dict order for pickles.
  virtual const std::vector<std::string>& keys() const = 0;
  virtual bool contains(const std::string& name) const = 0;
  virtual TensorEntry entry(const std::string& name) const = 0;  // KeyError when absent
  virtual Tensor get_tensor(const std::string& name) const = 0;  // KeyError when absent
  virtual const Metadata& metadata() const = 0;
  // Every tensor, in keys() order.
  NamedTensors tensors() const;
};

// Opens one file, choosing the reader from its first bytes (PK\3\4: torch zip; 80 02 8a 0a: legacy
// torch; GGUF: io::GGUFReader, tensors as stored, block types included; the HDF5 signature:
// io::H5WeightsReader (tf_model.h5); a .msgpack name: io::FlaxMsgpackReader; otherwise safetensors).
// The TF and Flax readers keep the frameworks' own names (io/tf_flax.hpp).
// A git-lfs pointer file gets a FormatError saying so.
std::unique_ptr<CheckpointReader> open_checkpoint_file(const std::filesystem::path& file);

// All tensors of several files (e.g. the shards of one checkpoint), files in the given order.
// A name present in two files is a FormatError.
NamedTensors load_checkpoint_files(const std::vector<std::filesystem::path>& files);

struct OpenOptions {
  std::string variant;                   // "fp16" -> model.fp16.safetensors, ...
  std::optional<bool> use_safetensors;   // nullopt: prefer safetensors, fall back to .bin (Python's None)
};

struct Checkpoint {
  NamedTensors tensors;                        // shards in sorted file order, each in its keys() order
  Metadata metadata;                           // __metadata__ of the first file (empty for .bin)
  std::string format;                          // "safetensors" | "pytorch" | "pytorch-legacy"
  std::vector<std::filesystem::path> files;    // files read
  std::optional<std::filesystem::path> index;  // the index json when sharded
};

// `path` is a checkpoint file, an *.index*.json, or a folder. FileNotFoundError lists the names
// looked for when a folder holds none of them.
Checkpoint open_checkpoint(const std::filesystem::path& path, const OpenOptions& options = {});

struct SaveOptions {
  // Hugging Face's max_shard_size: an int of bytes, or "5GB"/"30KB"/"1.5GB" (decimal units,
  // huggingface_hub parse_size_to_int rules).
  std::variant<int64_t, std::string> max_shard_size = std::string("5GB");
  bool safe_serialization = true;  // false: pytorch_model.bin via the torch zip writer
  std::string variant;             // "" or e.g. "fp16"
  Metadata metadata = {{"format", "pt"}};  // safetensors __metadata__ of every file
  // Delete old shards of the same weights name that this save does not rewrite (save_pretrained §2.5).
  bool cleanup_stale_shards = true;
};

struct SaveResult {
  std::vector<std::string> files;  // file names written, in shard order
  std::optional<std::string> index_file;
};

// Writes `tensors` as save_pretrained does: shards by max_shard_size in state-dict order, names
// model[-0000k-of-0000n][.variant].safetensors / pytorch_model*.bin, an index json when sharded.
// Safetensors refuses tensors sharing storage (ValueError): drop aliases first (tied weights).
// The folder is locked for the save (io::FolderSave); every file is staged under a temporary name
// and renamed into place only when all are complete, so a failed save leaves the old files as
// they were (docs/reliability.md).
SaveResult save_state_dict(const std::filesystem::path& folder, const NamedTensors& tensors,
                           const SaveOptions& options = {});

// The two halves of save_state_dict, for a save that writes more files into the same folder
// (save_pretrained adds its configs after the weights): stage the shards and index into `save`,
// then, after save.commit(), remove the stale shards when options.cleanup_stale_shards.
SaveResult stage_state_dict(FolderSave& save, const NamedTensors& tensors, const SaveOptions& options = {});
void remove_stale_shards(const std::filesystem::path& folder, const SaveResult& saved, const SaveOptions& options);

}  // namespace transformers::io
