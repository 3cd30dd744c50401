#pragma once
// A cache of freed large heap blocks behind Storage::allocate.
//
// glibc serves blocks above its mmap threshold with fresh mappings and returns them to the kernel on
// free, so a model forward that allocates and frees the same activation sizes every call page-faults
// on zeroed pages each time. Storage keeps freed blocks of kAllocCacheMinBytes or more in size-class
// free lists and hands them to the next allocation of the same class instead. The process's malloc
// settings are left alone (mallopt is global to the process, not a library's to change).
//
// Blocks below kAllocCacheMinBytes (a small model's activations, shapes of a few tokens) are kept
// too, per thread and without a lock: each thread holds at most kAllocCacheSmallPerThreadBytes (or
// the bound below, if lower) of them in free lists of 64-byte classes, reused most recently freed
// first. glibc's path for such blocks (aligned_alloc's memalign split, and malloc_consolidate of
// the fast bins whenever a request of 1 KiB or more misses them) was about a quarter of a tiny
// encoder's forward. A block freed on another thread joins that thread's lists.
//
// Not cached: borrowed storages (checkpoint mappings), allocate_zeroed's anonymous mappings (so they
// stay zero), blocks larger than the bound. Compiled out under AddressSanitizer / ThreadSanitizer so
// they still see every free. Environment (read at the first cached allocation, or by
// reload_alloc_cache_config):
//   TRANSFORMERS_ALLOC_CACHE=0          no caching (blocks go straight back to malloc)
//   TRANSFORMERS_ALLOC_CACHE_MAX_MB=N   bound on the bytes held while free (default 1024); when a free
//                                       would exceed it the least recently freed blocks are released
#include <cstddef>
#include <cstdint>

namespace transformers {

inline constexpr size_t kAllocCacheMinBytes = size_t(64) << 10;
inline constexpr size_t kAllocCacheSmallPerThreadBytes = size_t(8) << 20;

struct AllocCacheStats {
  bool enabled = false;     // false when compiled out or switched off by the environment
  size_t limit_bytes = 0;   // bound on cached_bytes
  size_t cached_bytes = 0;  // bytes held in the free lists now
  size_t cached_blocks = 0;
  uint64_t hits = 0;    // allocations served from the free lists
  uint64_t misses = 0;  // large allocations that went to malloc
  // The calling thread's cache of blocks below kAllocCacheMinBytes.
  size_t thread_cached_bytes = 0;
  size_t thread_cached_blocks = 0;
  uint64_t thread_hits = 0;
  uint64_t thread_misses = 0;
};

// Releases every cached block to malloc (in the spirit of torch.cuda.empty_cache): live tensors are
// untouched; later allocations start filling the cache again. Other threads' small blocks are
// released when that thread next allocates or frees a storage, or ends.
void empty_cache();

AllocCacheStats alloc_cache_stats();

// Releases the cache, then re-reads the two environment variables above (for tests and for programs
// that set them after the first allocation). Also zeroes the hit / miss counters (other threads'
// small-block counters when they next use their cache).
void reload_alloc_cache_config();

// Size actually allocated for a request of nbytes (rounded up to a size class: at most 1/8 more for
// large blocks, to 64 bytes below kAllocCacheMinBytes). Blocks of the same class are interchangeable.
size_t alloc_cache_class_size(size_t nbytes);

}  // namespace transformers
