// See weight_cache.hpp: the front end of the CPU backend's packed-weight cache.
#include "transformers/ops/weight_cache.hpp"

#include "ops/cpu/packed_weights.hpp"

namespace transformers::ops {

void keep_no_packed_copy(const Tensor& w) { detail::never_pack_weight(w); }

int64_t packed_weight_bytes() { return detail::packed_weight_stats().bytes; }

}  // namespace transformers::ops
