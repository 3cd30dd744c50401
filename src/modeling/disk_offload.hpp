#pragma once
// Disk offload of a loaded model (issue 26): weights device_map sends to "disk" stay in the
// checkpoint's read-only mapping, and each nn::Linear among them gives its pages back after every
// forward (madvise MADV_DONTNEED: the next use re-reads them from the file, through the page
// cache), so resident memory holds the "cpu" part plus the layer being computed.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "transformers/modeling/modeling_utils.hpp"

namespace transformers::modeling_detail {

// Hooks every Linear whose weight the map puts on disk and which is a view of a read-only file
// mapping (a safetensors or .bin checkpoint in the load dtype); returns how many were hooked.
// Call only for a model whose tensors came from checkpoint files (never user memory).
int release_disk_weights_after_use(PreTrainedModel& model, const DeviceMap& map);

// Gives back the pages of `w` when it is a view of a read-only checkpoint mapping (the file keeps the
// bytes; a later use re-reads them): after a cast or a slice copied out of it. Call only for tensors
// that came from checkpoint files. No effect on any other tensor.
void release_mapped_pages(const Tensor& w);

// 4.51's disk offload while loading: a checkpoint tensor the map sends to "disk" that is not already
// a safetensors mapping in the load dtype (a cast, a .bin, an in-memory state dict) is written to
// offload_folder in accelerate's layout (io/offload_folder.hpp) and used as a view of that file, so it
// is no more resident than a safetensors weight; finish() writes index.json (only .dat entries, as
// 4.51: safetensors-backed weights are never copied).
class OffloadFolderWriter {
 public:
  OffloadFolderWriter(const DeviceMap& map, std::filesystem::path folder) : map_(map), folder_(std::move(folder)) {}
  // The tensor to load for model key `name`: `t` converted to `dtype`, written and mapped when it goes
  // to disk and must be written; nullopt otherwise (the caller loads it as usual). `from_file`: `t` is
  // a view of a checkpoint file (its pages are given back block by block); `safetensors`: that file is
  // a safetensors one.
  std::optional<Tensor> offload(const std::string& name, const Tensor& t, DType dtype, bool from_file, bool safetensors);
  void finish() const;
  int written() const { return written_; }

 private:
  const DeviceMap& map_;
  std::filesystem::path folder_;
  nlohmann::ordered_json index_ = nlohmann::ordered_json::object();
  int written_ = 0;
};

// accelerate's get_max_layer_size of the model in bytes (src/modeling/device_map.cpp).
int64_t max_layer_bytes(const PreTrainedModel& model, std::optional<DType> dtype);

}  // namespace transformers::modeling_detail
