#pragma once
// The CPU backend keeps a packed copy of each read-only Linear weight it multiplies (a mapped
// checkpoint's), so later forwards skip the packing. A weight that is paged in only while it is used
// (device_map "disk", modeling/disk_offload) must not keep that copy: it would make the whole
// offloaded model resident again.
#include <cstdint>

#include "transformers/core/tensor.hpp"

namespace transformers::ops {

// From now on the backend keeps no packed copy of `w`'s storage (it drops those it has; products
// with `w` then pack per call, or take the unpacked path for a few rows).
void keep_no_packed_copy(const Tensor& w);
// Bytes of packed weight copies held now, over all weights.
int64_t packed_weight_bytes();

}  // namespace transformers::ops
