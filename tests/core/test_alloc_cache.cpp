// The block caches behind Storage::allocate (large blocks, and each thread's small ones): reuse, no aliasing, the bound, zeroed storages,
// the environment switch, and concurrent use. Every test starts from reload_alloc_cache_config() so
// the environment it sets is the one in force and earlier tests' cached blocks are gone.
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "transformers/core/alloc_cache.hpp"
#include "transformers/core/storage.hpp"

using namespace transformers;

namespace {

// Sets the cache's environment for one test and restores the default afterwards.
struct CacheEnv {
  CacheEnv(const char* enabled, const char* max_mb) {
    set("TRANSFORMERS_ALLOC_CACHE", enabled);
    set("TRANSFORMERS_ALLOC_CACHE_MAX_MB", max_mb);
    reload_alloc_cache_config();
  }
  ~CacheEnv() {
    ::unsetenv("TRANSFORMERS_ALLOC_CACHE");
    ::unsetenv("TRANSFORMERS_ALLOC_CACHE_MAX_MB");
    reload_alloc_cache_config();
  }
  static void set(const char* k, const char* v) {
    if (v) ::setenv(k, v, 1);
    else ::unsetenv(k);
  }
};

bool compiled_in() {
  CacheEnv env(nullptr, nullptr);
  return alloc_cache_stats().enabled;
}

#define SKIP_IF_COMPILED_OUT() \
  if (!compiled_in()) GTEST_SKIP() << "cache compiled out (sanitizer build)"

}  // namespace

TEST(AllocCache, ClassSizesBoundWaste) {
  EXPECT_EQ(alloc_cache_class_size(0), 64u);
  EXPECT_EQ(alloc_cache_class_size(100), 128u);
  EXPECT_EQ(alloc_cache_class_size(kAllocCacheMinBytes), kAllocCacheMinBytes);
  for (size_t n = kAllocCacheMinBytes; n < (size_t(64) << 20); n = n * 9 / 8 + 4097) {
    const size_t c = alloc_cache_class_size(n);
    EXPECT_GE(c, n);
    EXPECT_LE(c, n + n / 8) << n;
    EXPECT_EQ(c % 64, 0u);
    EXPECT_EQ(alloc_cache_class_size(c), c);  // a class size is its own class
  }
}

TEST(AllocCache, SameClassReusesTheFreedBlock) {
  SKIP_IF_COMPILED_OUT();
  CacheEnv env(nullptr, nullptr);
  const size_t n = 384 << 10;  // BERT-base's [128, 768] float32 activation
  void* first = Storage::allocate(n)->data();
  AllocCacheStats s = alloc_cache_stats();
  EXPECT_EQ(s.cached_blocks, 1u);
  EXPECT_EQ(s.cached_bytes, alloc_cache_class_size(n));
  EXPECT_EQ(s.misses, 1u);
  // A request of another size in the same class gets the same block back.
  auto again = Storage::allocate(n - 100);
  EXPECT_EQ(again->data(), first);
  EXPECT_EQ(again->nbytes(), n - 100);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(again->data()) % Storage::kAlignment, 0u);
  s = alloc_cache_stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.cached_blocks, 0u);
  EXPECT_EQ(s.cached_bytes, 0u);
}

TEST(AllocCache, NewBlocksStartAtDifferentPageOffsets) {
  SKIP_IF_COMPILED_OUT();
  CacheEnv env(nullptr, nullptr);
  // All at one page offset, blocks used together alias in the low 12 address bits (alloc_cache.cpp).
  std::vector<std::shared_ptr<Storage>> live;
  std::set<uintptr_t> offsets;
  for (int i = 0; i < 8; ++i) {
    live.push_back(Storage::allocate(384 << 10));
    const auto a = reinterpret_cast<uintptr_t>(live.back()->data());
    EXPECT_EQ(a % Storage::kAlignment, 0u);
    offsets.insert(a % 4096);
    std::memset(live.back()->data(), 0x5A, live.back()->nbytes());  // the whole block is usable
  }
  EXPECT_EQ(offsets.size(), 8u);
}

TEST(AllocCache, SmallBlocksAreReusedOnTheirThread) {
  SKIP_IF_COMPILED_OUT();
  CacheEnv env(nullptr, nullptr);
  const size_t n = 16 * 64 * 4;  // a tiny encoder's [16, 64] float32 activation
  void* first = Storage::allocate(n)->data();
  AllocCacheStats s = alloc_cache_stats();
  EXPECT_EQ(s.cached_blocks, 0u);  // not the large cache's
  EXPECT_EQ(s.thread_cached_blocks, 1u);
  EXPECT_EQ(s.thread_cached_bytes, n);
  EXPECT_EQ(s.thread_misses, 1u);
  auto again = Storage::allocate(n - 60);  // same 64-byte class
  EXPECT_EQ(again->data(), first);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(again->data()) % Storage::kAlignment, 0u);
  auto other = Storage::allocate(n + 64);  // the next class: a new block
  EXPECT_NE(other->data(), first);
  s = alloc_cache_stats();
  EXPECT_EQ(s.thread_hits, 1u);
  EXPECT_EQ(s.thread_misses, 2u);
  EXPECT_EQ(s.thread_cached_blocks, 0u);
  EXPECT_EQ(s.hits + s.misses, 0u);
}

TEST(AllocCache, SmallBlocksPerThreadBound) {
  SKIP_IF_COMPILED_OUT();
  for (const char* max_mb : {static_cast<const char*>(nullptr), "1"}) {
    CacheEnv env(nullptr, max_mb);
    const size_t bound = max_mb ? size_t(1) << 20 : kAllocCacheSmallPerThreadBytes;
    const size_t n = kAllocCacheMinBytes - 64;
    std::vector<std::shared_ptr<Storage>> live;
    for (size_t i = 0; i < 2 * bound / n; ++i) live.push_back(Storage::allocate(n));
    live.clear();
    const AllocCacheStats s = alloc_cache_stats();
    EXPECT_EQ(s.thread_cached_bytes, bound / n * n) << (max_mb ? max_mb : "default");
    EXPECT_EQ(s.thread_cached_blocks, bound / n);
  }
}

TEST(AllocCache, SmallBlocksFreedOnAnotherThreadJoinItsLists) {
  SKIP_IF_COMPILED_OUT();
  CacheEnv env(nullptr, nullptr);
  auto s = Storage::allocate(1000);
  std::memset(s->data(), 0x11, s->nbytes());
  AllocCacheStats there;
  std::thread([&] {
    s.reset();
    there = alloc_cache_stats();
  }).join();  // the thread's lists are released as it ends
  EXPECT_EQ(there.thread_cached_blocks, 1u);
  EXPECT_EQ(there.thread_cached_bytes, 1024u);
  EXPECT_EQ(alloc_cache_stats().thread_cached_blocks, 0u);
}

TEST(AllocCache, EmptyCacheReleasesOtherThreadsSmallBlocksAtTheirNextUse) {
  SKIP_IF_COMPILED_OUT();
  CacheEnv env(nullptr, nullptr);
  std::mutex mu;
  std::condition_variable cv;
  int stage = 0;
  AllocCacheStats before, after;
  std::thread worker([&] {
    for (size_t n : {256, 4096, 30000}) Storage::allocate(n);
    before = alloc_cache_stats();
    std::unique_lock<std::mutex> lock(mu);
    stage = 1;
    cv.notify_all();
    cv.wait(lock, [&] { return stage == 2; });
    after = alloc_cache_stats();
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return stage == 1; });
    empty_cache();
    stage = 2;
    cv.notify_all();
  }
  worker.join();
  EXPECT_EQ(before.thread_cached_blocks, 3u);
  EXPECT_EQ(after.thread_cached_blocks, 0u);
  EXPECT_EQ(after.thread_cached_bytes, 0u);
}

TEST(AllocCache, LiveBlocksNeverAlias) {
  SKIP_IF_COMPILED_OUT();
  CacheEnv env(nullptr, nullptr);
  const std::vector<size_t> sizes = {64 << 10, 72 << 10, 384 << 10, 400 << 10, 1 << 20, 1536 << 10, 3 << 20};
  for (int round = 0; round < 3; ++round) {
    std::vector<std::shared_ptr<Storage>> live;
    for (size_t n : sizes)
      for (int k = 0; k < 2; ++k) live.push_back(Storage::allocate(n));  // two of each class live at once
    for (size_t i = 0; i < live.size(); ++i)
      std::memset(live[i]->data(), int(i + 1), live[i]->nbytes());
    // Each block still holds its own pattern: no two live storages share bytes.
    for (size_t i = 0; i < live.size(); ++i) {
      const auto* b = static_cast<const unsigned char*>(live[i]->data());
      ASSERT_EQ(b[0], i + 1);
      ASSERT_EQ(b[live[i]->nbytes() - 1], i + 1);
    }
    std::set<void*> ptrs;
    for (auto& s : live) ptrs.insert(s->data());
    EXPECT_EQ(ptrs.size(), live.size());
  }
  // The second and third rounds were served from the cache.
  EXPECT_EQ(alloc_cache_stats().hits, 2 * 2 * sizes.size());
}

TEST(AllocCache, BoundIsHonouredLeastRecentlyFreedGoesFirst) {
  SKIP_IF_COMPILED_OUT();
  CacheEnv env(nullptr, "1");  // 1 MiB
  const size_t n = 256 << 10;
  std::vector<std::shared_ptr<Storage>> live;
  for (int i = 0; i < 6; ++i) live.push_back(Storage::allocate(n));
  std::vector<void*> ptrs;
  for (auto& s : live) ptrs.push_back(s->data());
  live.clear();  // frees blocks 0..5 in order: only the last four fit
  AllocCacheStats s = alloc_cache_stats();
  EXPECT_EQ(s.limit_bytes, size_t(1) << 20);
  EXPECT_EQ(s.cached_bytes, size_t(1) << 20);
  EXPECT_EQ(s.cached_blocks, 4u);
  std::set<void*> back;
  for (int i = 0; i < 4; ++i) live.push_back(Storage::allocate(n)), back.insert(live.back()->data());
  EXPECT_EQ(back, std::set<void*>(ptrs.begin() + 2, ptrs.end()));
  // A block larger than the whole bound is never kept.
  live.clear();
  const size_t before = alloc_cache_stats().cached_bytes;
  Storage::allocate(2 << 20);
  EXPECT_EQ(alloc_cache_stats().cached_bytes, before);
  EXPECT_LE(before, size_t(1) << 20);
}

TEST(AllocCache, EmptyCacheReleasesEverything) {
  SKIP_IF_COMPILED_OUT();
  CacheEnv env(nullptr, nullptr);
  for (size_t n : {128 << 10, 512 << 10, 2 << 20}) Storage::allocate(n);
  EXPECT_EQ(alloc_cache_stats().cached_blocks, 3u);
  empty_cache();
  EXPECT_EQ(alloc_cache_stats().cached_blocks, 0u);
  EXPECT_EQ(alloc_cache_stats().cached_bytes, 0u);
}

TEST(AllocCache, ZeroedStoragesAreZeroAfterDirtyBlocksWereFreed) {
  CacheEnv env(nullptr, nullptr);
  // Below allocate_zeroed's mapping threshold (cleared by memset) and above it (fresh mapping).
  for (size_t n : {size_t(256) << 10, size_t(2) << 20}) {
    SCOPED_TRACE(n);
    void* dirty_ptr = nullptr;
    {
      auto dirty = Storage::allocate(n);
      std::memset(dirty->data(), 0xAB, n);
      dirty_ptr = dirty->data();
    }
    const size_t cached = alloc_cache_stats().cached_bytes;
    auto z = Storage::allocate_zeroed(n);
    const auto* b = static_cast<const unsigned char*>(z->data());
    size_t nonzero = 0;
    for (size_t i = 0; i < n; ++i) nonzero += b[i] != 0;
    EXPECT_EQ(nonzero, 0u);
    if (n >= (size_t(1) << 20)) {
      // The mapping path leaves the cached dirty block where it is, and its free is not cached.
      // (With the cache compiled out the dirty block was unmapped, so the mapping may reuse its address.)
      if (alloc_cache_stats().enabled) EXPECT_NE(z->data(), dirty_ptr);
      EXPECT_EQ(alloc_cache_stats().cached_bytes, cached);
      z.reset();
      EXPECT_EQ(alloc_cache_stats().cached_bytes, cached);
    }
  }
}

TEST(AllocCache, BorrowedStoragesAreNotCached) {
  SKIP_IF_COMPILED_OUT();
  CacheEnv env(nullptr, nullptr);
  std::vector<unsigned char> buf(1 << 20);
  Storage::borrow(buf.data(), buf.size(), nullptr);
  EXPECT_EQ(alloc_cache_stats().cached_blocks, 0u);
}

TEST(AllocCache, EnvironmentSwitchesItOff) {
  for (const char* off : {"0", "off", "false"}) {
    CacheEnv env(off, nullptr);
    EXPECT_FALSE(alloc_cache_stats().enabled) << off;
    void* p = Storage::allocate(384 << 10)->data();
    p = Storage::allocate(1000)->data();
    (void)p;
    const AllocCacheStats s = alloc_cache_stats();
    EXPECT_EQ(s.cached_blocks, 0u);
    EXPECT_EQ(s.hits + s.misses, 0u);
    EXPECT_EQ(s.thread_cached_blocks, 0u);
    EXPECT_EQ(s.thread_hits + s.thread_misses, 0u);
  }
  {
    CacheEnv env(nullptr, "0");  // a zero bound also means off
    EXPECT_FALSE(alloc_cache_stats().enabled);
  }
  {
    CacheEnv env("1", "junk");  // an unparsable bound keeps the default
    EXPECT_EQ(alloc_cache_stats().limit_bytes, size_t(1024) << 20);
  }
}

TEST(AllocCache, ConcurrentAllocateAndFree) {
  CacheEnv env(nullptr, "8");  // small enough that evictions happen while threads run
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::vector<int> bad(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &bad] {
      const size_t sizes[] = {64 << 10, 200 << 10, 384 << 10, 1 << 20, 3 << 20, 1000, 40 << 10};
      for (int i = 0; i < 300; ++i) {
        std::vector<std::shared_ptr<Storage>> held;
        for (int k = 0; k < 3; ++k) {
          auto s = Storage::allocate(sizes[(i + k + t) % 7]);
          std::memset(s->data(), t * 16 + k + 1, s->nbytes());
          held.push_back(std::move(s));
        }
        for (int k = 0; k < 3; ++k) {
          const auto* b = static_cast<const unsigned char*>(held[size_t(k)]->data());
          const size_t n = held[size_t(k)]->nbytes();
          if (b[0] != t * 16 + k + 1 || b[n / 2] != t * 16 + k + 1 || b[n - 1] != t * 16 + k + 1) ++bad[size_t(t)];
        }
        if (i % 97 == 0) empty_cache();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(bad[size_t(t)], 0) << "thread " << t;
  const AllocCacheStats s = alloc_cache_stats();
  EXPECT_LE(s.cached_bytes, size_t(8) << 20);
  if (s.enabled) EXPECT_GT(s.hits, 0u);
}
