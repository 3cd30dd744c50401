// populate_for_write (prefault.hpp): pre-faulting a fresh destination before a large write.
#include "prefault.hpp"

#include <sys/mman.h>

#include <cstdint>

namespace transformers::detail {

// The range is widened to whole pages, all of which hold bytes of the caller's buffer, and populating
// never changes memory contents; where the kernel lacks the advice the call fails and the writes fault
// the pages in as before.
void populate_for_write(void* p, size_t n) {
#if defined(__linux__)
  if (n < 16 * 4096) return;  // a few faults cost less than the call
  constexpr int kPopulateWrite = 23;  // MADV_POPULATE_WRITE, absent from older headers
  const uintptr_t page = 4096;
  const uintptr_t b = reinterpret_cast<uintptr_t>(p) & ~(page - 1);
  const uintptr_t e = (reinterpret_cast<uintptr_t>(p) + n + page - 1) & ~(page - 1);
  (void)::madvise(reinterpret_cast<void*>(b), e - b, kPopulateWrite);
#else
  (void)p;
  (void)n;
#endif
}

}  // namespace transformers::detail
