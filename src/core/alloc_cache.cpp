#include "alloc_cache.hpp"

#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>

namespace transformers {
namespace {

constexpr size_t kDefaultLimitMB = 1024;

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
  std::map<size_t, std::deque<Cached>> lists;  // class size -> blocks, least recently freed first

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
  }
  void ensure_configured() {
    if (!configured) configure();
  }
  void release_all() {
    for (auto& [size, list] : lists)
      for (const Cached& c : list) std::free(c.p);
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
    std::free(oldest->second.front().p);
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
  std::lock_guard<std::mutex> lock(c.mu);
  c.release_all();
}

AllocCacheStats alloc_cache_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.ensure_configured();
  return {.enabled = c.enabled, .limit_bytes = c.limit, .cached_bytes = c.cached_bytes,
          .cached_blocks = c.cached_blocks, .hits = c.hits, .misses = c.misses};
}

void reload_alloc_cache_config() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.release_all();
  c.hits = c.misses = 0;
  c.configure();
}

namespace detail {

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
  std::free(p);
}

}  // namespace detail
}  // namespace transformers
