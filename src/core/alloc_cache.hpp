#pragma once
// Internal side of the large-block cache (public side: transformers/core/alloc_cache.hpp), used by
// Storage::allocate and ~Storage only.
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "transformers/core/alloc_cache.hpp"

// Sanitizers must see every free (use-after-free of an activation would otherwise hit a live cached
// block and go unnoticed), so the cache is compiled out under ASan and TSan.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TRANSFORMERS_ALLOC_CACHE_COMPILED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TRANSFORMERS_ALLOC_CACHE_COMPILED 0
#endif
#endif
#ifndef TRANSFORMERS_ALLOC_CACHE_COMPILED
#define TRANSFORMERS_ALLOC_CACHE_COMPILED 1
#endif

namespace transformers::detail {

// A cached block of exactly class_size bytes (a value of alloc_cache_class_size), or nullptr when
// there is none or the cache is off; the caller then allocates class_size bytes itself. Counts a hit
// or a miss.
void* alloc_cache_take(size_t class_size);
// A new block of class_size bytes (>= kAllocCacheMinBytes), 64-byte aligned, or nullptr when memory
// runs out. Successive blocks start at different offsets within a page (see alloc_cache.cpp), and
// only alloc_cache_give may release them (they are not the pointer malloc returned).
void* alloc_cache_new(size_t class_size);
// Keeps a freed block of class_size bytes (from alloc_cache_new) for reuse, or frees it when the cache is off or the block alone exceeds the bound.
void alloc_cache_give(void* p, size_t class_size);

// What the per-thread small-block caches (small_alloc_cache.cpp) read without the large cache's
// lock: the configuration and two counters that empty_cache / reload_alloc_cache_config bump to make
// every thread release its blocks (and, for reset, zero its counters) at its next use.
struct AllocCacheShared {
  std::atomic<int> enabled{-1};  // -1 until the environment is read
  std::atomic<size_t> small_limit{0};
  std::atomic<uint64_t> release_generation{0};
  std::atomic<uint64_t> reset_generation{0};
};
// Configured (reads the environment on first use).
const AllocCacheShared& alloc_cache_shared();

// The calling thread's cached block of class_size bytes (< kAllocCacheMinBytes), or nullptr (then
// the caller allocates class_size bytes, 64-byte aligned, with aligned_alloc).
void* small_cache_take(size_t class_size);
// Keeps a freed block from aligned_alloc of class_size bytes in the calling thread's lists, or frees it.
void small_cache_give(void* p, size_t class_size);
// Applies a pending release / reset to the calling thread's lists now.
void small_cache_sync();
struct SmallCacheStats {
  size_t bytes = 0;
  size_t blocks = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
};
SmallCacheStats small_cache_stats();  // the calling thread's

}  // namespace transformers::detail
