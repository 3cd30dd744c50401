// The packed-weight cache (see packed_weights.hpp for what is cached and why it cannot go stale).
#include "ops/cpu/packed_weights.hpp"
#include "ops/cpu/ab_switch.hpp"

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "transformers/core/cpu_features.hpp"
#include "transformers/core/storage.hpp"

namespace transformers::ops::detail {

namespace {

struct Key {
  const Storage* storage;
  int64_t offset;
  std::vector<int64_t> sizes, strides;
  int level;
  bool operator<(const Key& o) const {
    return std::tie(storage, offset, sizes, strides, level) < std::tie(o.storage, o.offset, o.sizes, o.strides, o.level);
  }
};

struct Entry {
  std::weak_ptr<Storage> storage;  // expired: the weight is gone (its address may be reused)
  std::unique_ptr<float, decltype(&std::free)> packed{nullptr, &std::free};
  int64_t floats = 0;
};

struct Cache {
  std::mutex mu;
  std::map<Key, Entry> entries;
  int64_t hits = 0, misses = 0;
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: linear() may run during static destruction
  return *c;
}

}  // namespace

bool packed_weights_enabled() {
  static const bool on = !ab_switch_off("TRANSFORMERS_PACKED_WEIGHTS");
  return on;
}

const float* packed_weight(const Tensor& w, const GemmOperand& B, int64_t K, int64_t N) {
  if (!packed_weights_enabled() || !w.defined() || !w.storage() || !w.storage()->read_only()) return nullptr;
  // Only B read along k (the nn.Linear [N, K] weight), whose per-call pack is a 16 x 16 transpose
  // per block; a B with contiguous rows (GPT-2's Conv1D [K, N] weight) packs by plain copies, cheap
  // next to the product, and caching it would only add its memory (GPT-2 prefill 512 measured no
  // faster with it).
  if (B.cs == 1) return nullptr;
  const int64_t floats = sgemm_prepacked_b_floats(K, N);
  if (floats <= 0) return nullptr;
  Key key{w.storage().get(), w.storage_offset(), std::vector<int64_t>(w.sizes().begin(), w.sizes().end()),
          std::vector<int64_t>(w.strides().begin(), w.strides().end()), int(kernel_level())};
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.entries.find(key);
    if (it != c.entries.end()) {
      if (it->second.storage.lock() == w.storage() && it->second.floats == floats) {
        ++c.hits;
        return it->second.packed.get();
      }
      c.entries.erase(it);
    }
    ++c.misses;
  }
  // Pack outside the lock (the pack runs on the thread pool; a pool worker waiting for this lock
  // must not hold up the pool).
  const size_t bytes = (size_t(floats) * sizeof(float) + 63) / 64 * 64;
  Entry e;
  e.packed.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
  if (!e.packed) return nullptr;  // out of memory: pack per call instead
  e.floats = floats;
  e.storage = w.storage();
  if (!sgemm_pack_b(K, N, B, e.packed.get())) return nullptr;
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto d = c.entries.begin(); d != c.entries.end();) d = d->second.storage.expired() ? c.entries.erase(d) : std::next(d);
  // emplace keeps an entry another thread inserted meanwhile (same key: same weight, same packing)
  return c.entries.emplace(std::move(key), std::move(e)).first->second.packed.get();
}

PackedWeightStats packed_weight_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  PackedWeightStats s;
  s.hits = c.hits;
  s.misses = c.misses;
  for (auto& [k, e] : c.entries)
    if (!e.storage.expired()) {
      ++s.entries;
      s.bytes += e.floats * int64_t(sizeof(float));
    }
  return s;
}

void clear_packed_weights() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.entries.clear();
  c.hits = c.misses = 0;
}

}  // namespace transformers::ops::detail
