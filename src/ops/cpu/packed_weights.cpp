// The packed-weight cache (see packed_weights.hpp for what is cached and why it cannot go stale).
#include "ops/cpu/packed_weights.hpp"
#include "ops/cpu/ab_switch.hpp"
#include "ops/cpu/bf16_gemm.hpp"
#include "ops/cpu/isa_kernels.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "transformers/core/storage.hpp"

namespace transformers::ops::detail {

namespace {

// Which view of the storage was packed, and for which layout: the float32 packs are the kernel
// level's (keyed by its IsaKernels; levels without a GEMM of their own share the one below's and its
// packs), the bf16 pair-interleaved pack is one layout for all levels (keyed by kBf16Layout).
struct ViewKey {
  int64_t offset;
  std::vector<int64_t> sizes, strides;
  const void* kernels;
  bool operator<(const ViewKey& o) const {
    return std::tie(offset, sizes, strides, kernels) < std::tie(o.offset, o.sizes, o.strides, o.kernels);
  }
};

struct Packed {
  std::unique_ptr<void, decltype(&std::free)> data{nullptr, &std::free};
  int64_t bytes = 0;
};
const char kBf16Layout = 0;

// Totals over every live PackedSet, for packed_weight_stats().
std::atomic<int64_t> g_entries{0}, g_bytes{0}, g_hits{0}, g_misses{0};

// The packed copies made from one weight storage. It lives in that storage's derived-data slot,
// so the copies are freed the moment the weight's storage is.
struct PackedSet {
  std::mutex mu;
  std::map<ViewKey, Packed> packs;
  std::atomic<bool> never{false};  // never_pack_weight: packed per call, never kept
  void forget_all() {  // caller holds mu
    for (auto& [k, p] : packs) {
      --g_entries;
      g_bytes -= p.bytes;
    }
    packs.clear();
  }
  ~PackedSet() { forget_all(); }
};

// The slot key (its address) in Storage's derived data.
const char kPackedSlot = 0;

// Every PackedSet made, held weakly, so clear_packed_weights() can empty them.
struct Registry {
  std::mutex mu;
  std::vector<std::weak_ptr<PackedSet>> sets;
};
Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: linear() may run during static destruction
  return *r;
}

std::shared_ptr<PackedSet> packed_set(const Storage& st) {
  if (auto s = std::static_pointer_cast<PackedSet>(st.derived(&kPackedSlot))) return s;
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  if (auto s = std::static_pointer_cast<PackedSet>(st.derived(&kPackedSlot))) return s;  // another thread won
  auto s = std::make_shared<PackedSet>();
  st.set_derived(&kPackedSlot, s);
  std::erase_if(r.sets, [](const std::weak_ptr<PackedSet>& w) { return w.expired(); });
  r.sets.push_back(s);
  return s;
}

}  // namespace

bool packed_weights_enabled() {
  static const bool on = !ab_switch_off("TRANSFORMERS_PACKED_WEIGHTS");
  return on;
}

namespace {

// The cached pack of `w` under (its view, layout): made by pack(dst) (false: not packable) into
// `bytes` bytes the first time, outside the set's lock.
template <class PackFn>
const void* cached_pack(const Tensor& w, const void* layout, int64_t bytes_needed, PackFn&& pack) {
  if (!packed_weights_enabled() || !w.defined() || !w.storage() || !w.storage()->read_only()) return nullptr;
  if (bytes_needed <= 0) return nullptr;
  ViewKey key{w.storage_offset(), std::vector<int64_t>(w.sizes().begin(), w.sizes().end()),
              std::vector<int64_t>(w.strides().begin(), w.strides().end()), layout};
  const std::shared_ptr<PackedSet> set = packed_set(*w.storage());
  if (set->never) return nullptr;
  {
    std::lock_guard<std::mutex> lock(set->mu);
    auto it = set->packs.find(key);
    if (it != set->packs.end() && it->second.bytes == bytes_needed) {
      ++g_hits;
      return it->second.data.get();
    }
    ++g_misses;
  }
  // Pack outside the lock (the pack runs on the thread pool; a pool worker waiting for this lock
  // must not hold up the pool).
  Packed p;
  p.data.reset(std::aligned_alloc(64, (size_t(bytes_needed) + 63) / 64 * 64));
  if (!p.data) return nullptr;  // out of memory: pack per call instead
  p.bytes = bytes_needed;
  if (!pack(p.data.get())) return nullptr;
  std::lock_guard<std::mutex> lock(set->mu);
  // emplace keeps an entry another thread inserted meanwhile (same key: same weight, same packing)
  auto [it, inserted] = set->packs.emplace(std::move(key), std::move(p));
  if (inserted) {
    ++g_entries;
    g_bytes += bytes_needed;
  }
  // The set stays alive with the storage, which the caller holds through `w`.
  return it->second.data.get();
}

}  // namespace

const float* packed_weight(const Tensor& w, const GemmOperand& B, int64_t K, int64_t N, int64_t M) {
  // B read along k (the nn.Linear [N, K] weight): its per-call pack is a 16 x 16 transpose per
  // block, always worth caching. A B with contiguous rows (GPT-2's Conv1D [K, N] weight) packs by
  // plain copies, cheap next to a prefill's product (GPT-2 prefill 512 measured no faster with the
  // cache), so it is cached only once a decode-shaped product (a batched decode step) asks for it:
  // there the pack is a second pass over the weight that the few rows cannot amortise.
  if (B.cs == 1 && M > kDecodeMaxRows) return nullptr;
  const int64_t floats = sgemm_prepacked_b_floats(K, N);
  return static_cast<const float*>(cached_pack(w, &current_isa_kernels(), floats * int64_t(sizeof(float)),
                                               [&](void* dst) { return sgemm_pack_b(K, N, B, static_cast<float*>(dst)); }));
}

namespace {
// True when [a, b) lies inside one private file mapping without write permission (how checkpoints
// are mapped, io/mapped_file.cpp): its pages can never hold anything but the file's bytes, so
// dropping them loses nothing. Read from /proc/self/maps (once per packed weight, at its first use).
bool in_read_only_file_mapping(uintptr_t a, uintptr_t b) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long lo = 0, hi = 0, inode = 0;
    char perms[5] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s %*s %*s %lu", &lo, &hi, perms, &inode) != 4) continue;
    if (a < lo || a >= hi) continue;
    return b <= hi && inode != 0 && perms[1] == '-' && perms[3] == 'p';
  }
  return false;
}

// Gives the resident pages of `w`'s bytes back once its bf16 pack exists: the vdpbf16ps kernels read
// only the pack, for every row count, so keeping both copies resident doubled the RSS of a bf16
// checkpoint (issue 27: 4.86 vs 2.44 GB for Llama-1B). Only pages wholly inside the weight's bytes
// go (a neighbour's bytes may share the edge pages), and only from a read-only file mapping:
// MADV_DONTNEED drops them from this process while the page cache keeps them, so a later reader
// (save_pretrained, state_dict, the embedding lookup through a tied lm_head weight) takes a minor
// fault. Anonymous memory (a read-only view of a heap copy) is left alone: DONTNEED would zero it.
void page_out_original(const Tensor& w) {
  if (!bf16_page_out_enabled()) return;
  const uintptr_t page = uintptr_t(::sysconf(_SC_PAGESIZE));
  const uintptr_t lo = reinterpret_cast<uintptr_t>(w.data_ptr());
  // The bytes the view spans (from its first element to its last, any strides).
  uintptr_t span = w.element_size();
  for (int64_t d = 0; d < w.dim(); ++d)
    if (w.size(d) > 1) span += uintptr_t(w.size(d) - 1) * uintptr_t(w.stride(d)) * w.element_size();
  const uintptr_t a = (lo + page - 1) & ~(page - 1), b = (lo + span) & ~(page - 1);
  if (b > a && in_read_only_file_mapping(a, b)) (void)::madvise(reinterpret_cast<void*>(a), b - a, MADV_DONTNEED);
}
}  // namespace

bool bf16_page_out_enabled() {
  static const bool on = !ab_switch_off("TRANSFORMERS_PACKED_PAGE_OUT");
  return on;
}

const uint16_t* packed_weight_bf16(const Tensor& w, const uint16_t* b, int64_t rs, int64_t cs, int64_t K, int64_t N) {
  bool made = false;
  const auto* packed = static_cast<const uint16_t*>(cached_pack(w, &kBf16Layout, bf16_packed_b_elems(K, N) * 2, [&](void* dst) {
    bf16_pack_b(K, N, b, rs, cs, static_cast<uint16_t*>(dst));
    made = true;
    return true;
  }));
  if (packed && made) page_out_original(w);
  return packed;
}

PackedWeightStats packed_weight_stats() {
  PackedWeightStats s;
  s.entries = g_entries;
  s.bytes = g_bytes;
  s.hits = g_hits;
  s.misses = g_misses;
  return s;
}

void never_pack_weight(const Tensor& w) {
  if (!w.defined() || !w.storage()) return;
  const std::shared_ptr<PackedSet> s = packed_set(*w.storage());
  std::lock_guard<std::mutex> lock(s->mu);
  s->never = true;
  s->forget_all();
}

void clear_packed_weights() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (auto& w : r.sets)
    if (auto s = w.lock()) {
      std::lock_guard<std::mutex> set_lock(s->mu);
      s->forget_all();
    }
  std::erase_if(r.sets, [](const std::weak_ptr<PackedSet>& w) { return w.expired(); });
  g_hits = 0;
  g_misses = 0;
}

}  // namespace transformers::ops::detail
