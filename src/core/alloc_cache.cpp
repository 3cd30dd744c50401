#include "alloc_cache.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>

namespace transformers {
namespace {

constexpr size_t kDefaultLimitMB = 1024;

// Placement of large blocks within their first page. glibc serves them with fresh mappings while its
// mmap threshold is low, all at the same offset in a page (64 bytes in); it only raises the threshold,
// and so mixes offsets via its heap, after such a block is freed, which this cache prevents. With
// every activation at one page offset, streams read and written together (x and y of y = f(x),
// q/k/v) collide in the low 12 address bits: loads falsely wait on stores to the other stream ("4K
// aliasing") and compete for the same L1 sets. GPT-2 f32 prefill measured
// slower so than without the cache (median +8 %, 11 of 14 alternated pairs). So each
// new block starts a multiple of 64 bytes into a 4 KiB allowance, k cycling through kColors values; the
// word before the returned pointer holds what malloc returned.
constexpr size_t kColorUnit = 64;
constexpr size_t kColors = 63;  // offsets 64 .. 4032 bytes: the first 64 hold the header
constexpr size_t kColorStride = 23;  // successive blocks ~1.5 KiB apart in their page, not 64 bytes
constexpr size_t kColorAllowance = 4096;

void* base_of(void* p) { return static_cast<void**>(p)[-1]; }
void free_block(void* p) { std::free(base_of(p)); }

struct Cached {
  void* p;
  uint64_t seq;  // order of freeing, for evicting the least recently freed block first
};

struct Cache {
  std::mutex mu;
  bool configured = false;
  bool enabled = false;
  size_t limit = 0;
  size_t cached_bytes = 0;
  size_t cached_blocks = 0;
  uint64_t seq = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  std::atomic<size_t> next_color{0};
  std::map<size_t, std::deque<Cached>> lists;  // class size -> blocks, least recently freed first
  detail::AllocCacheShared shared;

  // Caller holds mu.
  void configure() {
    configured = true;
    enabled = TRANSFORMERS_ALLOC_CACHE_COMPILED != 0;
    if (const char* v = std::getenv("TRANSFORMERS_ALLOC_CACHE")) {
      if (!std::strcmp(v, "0") || !std::strcmp(v, "off") || !std::strcmp(v, "false") || !std::strcmp(v, "no"))
        enabled = false;
    }
    size_t mb = kDefaultLimitMB;
    if (const char* v = std::getenv("TRANSFORMERS_ALLOC_CACHE_MAX_MB")) {
      // An unparsable value keeps the default: a tuning knob is no reason to fail allocations.
      char* end = nullptr;
      const unsigned long long n = std::strtoull(v, &end, 10);
      if (end != v && *end == '\0') mb = size_t(n);
    }
    limit = mb << 20;
    if (limit == 0) enabled = false;
    shared.small_limit.store(std::min(limit, kAllocCacheSmallPerThreadBytes), std::memory_order_relaxed);
    shared.enabled.store(enabled ? 1 : 0, std::memory_order_release);
  }
  void ensure_configured() {
    if (!configured) configure();
  }
  void release_all() {
    for (auto& [size, list] : lists)
      for (const Cached& c : list) free_block(c.p);
    lists.clear();
    cached_bytes = 0;
    cached_blocks = 0;
  }
  // Frees the least recently freed block of all classes. Caller holds mu; cached_blocks > 0.
  void evict_oldest() {
    auto oldest = lists.end();
    for (auto it = lists.begin(); it != lists.end(); ++it)
      if (!it->second.empty() && (oldest == lists.end() || it->second.front().seq < oldest->second.front().seq))
        oldest = it;
    free_block(oldest->second.front().p);
    oldest->second.pop_front();
    cached_bytes -= oldest->first;
    --cached_blocks;
    if (oldest->second.empty()) lists.erase(oldest);
  }
};

// Never destroyed: storages that outlive static destruction (globals, thread-locals) still free
// through it.
Cache& cache() {
  static Cache* c = new Cache();
  return *c;
}

}  // namespace

size_t alloc_cache_class_size(size_t nbytes) {
  if (nbytes < kAllocCacheMinBytes) return nbytes == 0 ? 64 : (nbytes + 63) / 64 * 64;
  // Eight classes per power of two: steps of p/8 between p and 2p, so at most 1/8 is wasted.
  size_t p = kAllocCacheMinBytes;
  while (p <= nbytes / 2) p *= 2;
  const size_t step = p / 8;
  return (nbytes + step - 1) / step * step;
}

void empty_cache() {
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.release_all();
    c.shared.release_generation.fetch_add(1, std::memory_order_acq_rel);
  }
  detail::small_cache_sync();  // this thread's small blocks now; other threads' at their next use
}

AllocCacheStats alloc_cache_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.ensure_configured();
  const detail::SmallCacheStats t = detail::small_cache_stats();
  return {.enabled = c.enabled, .limit_bytes = c.limit, .cached_bytes = c.cached_bytes,
          .cached_blocks = c.cached_blocks, .hits = c.hits, .misses = c.misses,
          .thread_cached_bytes = t.bytes, .thread_cached_blocks = t.blocks, .thread_hits = t.hits,
          .thread_misses = t.misses};
}

void reload_alloc_cache_config() {
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.release_all();
    c.hits = c.misses = 0;
    c.configure();
    c.shared.release_generation.fetch_add(1, std::memory_order_acq_rel);
    c.shared.reset_generation.fetch_add(1, std::memory_order_acq_rel);
  }
  detail::small_cache_sync();
}

namespace detail {

const AllocCacheShared& alloc_cache_shared() {
  Cache& c = cache();
  if (c.shared.enabled.load(std::memory_order_acquire) < 0) {
    std::lock_guard<std::mutex> lock(c.mu);
    c.ensure_configured();
  }
  return c.shared;
}

void* alloc_cache_take(size_t class_size) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.ensure_configured();
  if (!c.enabled) return nullptr;
  auto it = c.lists.find(class_size);
  if (it == c.lists.end()) {
    ++c.misses;
    return nullptr;
  }
  // The most recently freed block: its pages are the likeliest to be still in the CPU caches.
  void* p = it->second.back().p;
  it->second.pop_back();
  if (it->second.empty()) c.lists.erase(it);
  c.cached_bytes -= class_size;
  --c.cached_blocks;
  ++c.hits;
  return p;
}

void* alloc_cache_new(size_t class_size) {
  void* base = std::aligned_alloc(kColorUnit, class_size + kColorAllowance);
  if (!base) return nullptr;
  const size_t k = cache().next_color.fetch_add(1, std::memory_order_relaxed);
  const size_t offset = kColorUnit * (1 + (k * kColorStride) % kColors);
  void* p = static_cast<char*>(base) + offset;
  static_cast<void**>(p)[-1] = base;
  return p;
}

void alloc_cache_give(void* p, size_t class_size) {
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.ensure_configured();
    if (c.enabled && class_size <= c.limit) {
      while (c.cached_bytes + class_size > c.limit) c.evict_oldest();
      c.lists[class_size].push_back({p, c.seq++});
      c.cached_bytes += class_size;
      ++c.cached_blocks;
      return;
    }
  }
  free_block(p);
}

}  // namespace detail
}  // namespace transformers
