#pragma once
// PyTorch checkpoints (pytorch_model.bin): the torch.save zip format (torch >= 1.6, ZIP64 too) and
// the legacy pre-1.6 stream, read through a restricted unpickler that accepts only what
// torch.load(weights_only=True) accepts and executes nothing; and a writer producing the zip
// format that torch.load(weights_only=True) loads. Spec: formats-and-tokenizers.md §2.
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "transformers/io/checkpoint.hpp"

namespace transformers::io {

class TorchReader final : public CheckpointReader {
 public:
  // Maps the file, unpickles the state dict and attaches storages (views of the mapping when the
  // record is aligned for its dtype, copies otherwise; byte-swapped copies for big-endian files).
  // Tensors that shared a storage in Python share one Storage here (tied weights), and views keep
  // their offset and strides. Throws SecurityError (forbidden global), FormatError, UnsupportedError.
  explicit TorchReader(const std::filesystem::path& file);

  std::string_view format() const override { return legacy_ ? "pytorch-legacy" : "pytorch"; }
  const std::string& path() const override { return path_; }
  const std::vector<std::string>& keys() const override { return keys_; }
  bool contains(const std::string& name) const override { return tensors_.count(name) != 0; }
  TensorEntry entry(const std::string& name) const override;
  Tensor get_tensor(const std::string& name) const override;
  const Metadata& metadata() const override { return metadata_; }

 private:
  void read_zip();
  void read_legacy();

  std::string path_;
  bool legacy_ = false;
  std::shared_ptr<const void> mapping_;
  std::vector<std::string> keys_;
  std::unordered_map<std::string, Tensor> tensors_;
  Metadata metadata_;  // always empty: .bin files carry no string metadata
};

NamedTensors load_torch(const std::filesystem::path& file);

// Writes `tensors` as torch.save(OrderedDict) does (protocol-2 pickle in a zip, records 64-byte
// aligned, CRCs, ZIP64 when needed), atomically. Tensors sharing a Storage are written as one
// storage with their own offsets and strides, so ties survive a torch.load. Float8 tensors use
// UntypedStorage + _rebuild_tensor_v3 as torch does.
void save_torch(const std::filesystem::path& file, const NamedTensors& tensors);

}  // namespace transformers::io
