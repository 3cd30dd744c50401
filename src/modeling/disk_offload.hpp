#pragma once
// Disk offload of a loaded model (issue 26): weights device_map sends to "disk" stay in the
// checkpoint's read-only mapping, and each nn::Linear among them gives its pages back after every
// forward (madvise MADV_DONTNEED: the next use re-reads them from the file, through the page
// cache), so resident memory holds the "cpu" part plus the layer being computed.
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

// accelerate's get_max_layer_size of the model in bytes (src/modeling/device_map.cpp).
int64_t max_layer_bytes(const PreTrainedModel& model, std::optional<DType> dtype);

}  // namespace transformers::modeling_detail
