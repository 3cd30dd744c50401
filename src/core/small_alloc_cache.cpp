// Per-thread free lists of storage blocks below kAllocCacheMinBytes (see core/alloc_cache.hpp).
//
// A tiny model's forward allocates and frees the same few dozen activation sizes every call; through
// glibc each costs aligned_alloc's memalign split and, for requests of 1 KiB or more, a
// malloc_consolidate of the fast bins that the interpreter's and the engine's small objects fill.
// Here a block goes back on its class's list when its storage dies and the next request of the class
// takes it, with no lock: the lists belong to the thread (a block freed on another thread simply
// joins that thread's lists; every block is a plain aligned_alloc block, so any thread may free it).
//
// Bounded: at most AllocCacheShared::small_limit bytes per thread (kAllocCacheSmallPerThreadBytes,
// lower when the whole cache's bound is); a freed block that does not fit goes to free(). Released:
// when the thread ends, and when empty_cache / reload_alloc_cache_config bump the release generation
// (the calling thread at once, the others at their next allocation or free).
#include <cstdlib>

#include "alloc_cache.hpp"

namespace transformers::detail {
namespace {

constexpr size_t kUnit = 64;
constexpr size_t kClasses = kAllocCacheMinBytes / kUnit;  // class k: blocks of (k + 1) * 64 bytes

struct Lists {
  void* head[kClasses] = {};  // a free block's first word points to the next block of its class
  size_t bytes = 0;
  size_t blocks = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t release_generation = 0;
  uint64_t reset_generation = 0;

  void release() {
    for (void*& h : head)
      while (h) {
        void* next = *static_cast<void**>(h);
        std::free(h);
        h = next;
      }
    bytes = blocks = 0;
  }
  // Applies what empty_cache / reload_alloc_cache_config asked since this thread last looked.
  void sync(const AllocCacheShared& s) {
    const uint64_t rel = s.release_generation.load(std::memory_order_acquire);
    if (rel != release_generation) {
      release();
      release_generation = rel;
    }
    const uint64_t reset = s.reset_generation.load(std::memory_order_acquire);
    if (reset != reset_generation) {
      hits = misses = 0;
      reset_generation = reset;
    }
  }
};

// The lists live on the heap (8 KiB of heads would be a large static TLS block in every thread of
// an extension module); the holder frees them at thread exit. Storages destroyed after that (other
// thread-locals) see `dead` and free their blocks directly.
struct Holder {
  Lists* lists = nullptr;
  ~Holder();
};
thread_local Holder t_holder;
thread_local bool t_dead = false;  // trivially destructible: still readable after Holder is gone

Holder::~Holder() {
  t_dead = true;
  if (lists) {
    lists->release();
    delete lists;
    lists = nullptr;
  }
}

// This thread's lists, synced; nullptr when caching is off or the thread is ending.
Lists* local_lists(const AllocCacheShared& s) {
  if (t_dead || s.enabled.load(std::memory_order_relaxed) != 1) return nullptr;
  Lists* l = t_holder.lists;
  if (!l) {
    l = new Lists();
    l->release_generation = s.release_generation.load(std::memory_order_acquire);
    l->reset_generation = s.reset_generation.load(std::memory_order_acquire);
    t_holder.lists = l;
  }
  l->sync(s);
  return l;
}

size_t class_index(size_t class_size) { return class_size / kUnit - 1; }

}  // namespace

void* small_cache_take(size_t class_size) {
  Lists* l = local_lists(alloc_cache_shared());
  if (!l) return nullptr;
  void*& h = l->head[class_index(class_size)];
  if (!h) {
    ++l->misses;
    return nullptr;
  }
  void* p = h;
  h = *static_cast<void**>(p);
  l->bytes -= class_size;
  --l->blocks;
  ++l->hits;
  return p;
}

void small_cache_give(void* p, size_t class_size) {
  const AllocCacheShared& s = alloc_cache_shared();
  Lists* l = local_lists(s);
  if (!l || l->bytes + class_size > s.small_limit.load(std::memory_order_relaxed)) {
    std::free(p);
    return;
  }
  void*& h = l->head[class_index(class_size)];
  *static_cast<void**>(p) = h;
  h = p;
  l->bytes += class_size;
  ++l->blocks;
}

void small_cache_sync() {
  const AllocCacheShared& s = alloc_cache_shared();
  if (t_dead) return;
  if (Lists* l = t_holder.lists) {
    l->sync(s);
    if (s.enabled.load(std::memory_order_relaxed) != 1) l->release();
  }
}

SmallCacheStats small_cache_stats() {
  small_cache_sync();
  const Lists* l = t_dead ? nullptr : t_holder.lists;
  if (!l) return {};
  return {.bytes = l->bytes, .blocks = l->blocks, .hits = l->hits, .misses = l->misses};
}

}  // namespace transformers::detail
