#pragma once
// Pre-faulting a fresh destination before a large write (Tensor::to with prefault).
#include <cstddef>

namespace transformers::detail {

// Faults in the destination pages of [p, p + n) with one madvise(MADV_POPULATE_WRITE) (Linux >= 5.14)
// instead of one page fault per 4 KiB written; ranges under 64 KiB and older kernels are left to fault
// as before.
void populate_for_write(void* p, size_t n);

}  // namespace transformers::detail
