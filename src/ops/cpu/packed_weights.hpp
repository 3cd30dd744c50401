#pragma once
// Cache of float32 Linear weights packed for our GEMM (sgemm_pack_b), so a model's forward does
// not re-pack (transpose) every weight on every call: the per-call pack of the nn.Linear [N, K]
// weight cost ~24 % of the BERT-base GEMM time on one thread (profile in docs/benchmarks.md).
//
// Only weights in the nn.Linear [N, K] layout (packing them is a transpose; a [K, N] weight such as
// GPT-2's Conv1D packs by plain copies and is left to the per-call pack, except for decode-shaped
// products of at most kDecodeMaxRows rows: a batched decode step, where the per-call pack is a
// second pass over the weight per step) whose storage is read-only are cached — a mapped checkpoint, which is how
// from_pretrained loads float32 safetensors. That memory cannot change: writes through it fault,
// and the in-place tensor ops (copy_, fill_, the *_ ops) refuse it, so a weight "modified in place"
// is in fact a new storage and misses the cache. A weight on writable storage is packed per call
// as before (no version counter to tell whether it changed).
//
// The packed copies live in the weight storage's derived-data slot (Storage::derived), keyed by the
// view's offset, sizes and strides and the kernel level (the packed layout is the level's), so they
// are freed together with the weight: destroying a model frees its packed copies at once.
// Memory: a float32 copy of every cached weight, N rounded up to the kernel's strip (48 columns at
// AVX-512): ~340 MB for BERT-base; GPT-2's Conv1D weights (~340 MB for GPT-2 small) only once a
// batched decode of 5..64 rows ran (serve with several streams); a bf16 copy of a bf16 weight at
// the avx512bf16 level (bf16 Conv1D weights included), after which the original's mapped pages are
// given back (bf16_page_out_enabled below), so a bf16 checkpoint is resident once.
// TRANSFORMERS_PACKED_WEIGHTS=0 turns the cache off.
#include <cstdint>

#include "ops/cpu/sgemm.hpp"
#include "transformers/core/tensor.hpp"

namespace transformers::ops::detail {

// Rows up to which a product counts as decode-shaped (a continuous batch's step) for the cache.
constexpr int64_t kDecodeMaxRows = 64;

// Packed B for weight `w` seen as the engine's operand B (K x N) in a product of M rows; nullptr
// when not cacheable (writable storage, cache off, no own kernel at this level, a [K, N] B in a
// product of more than kDecodeMaxRows rows). The pointer stays valid while the
// cache holds the entry: until clear_packed_weights() or the storage dies (callers hold `w`).
const float* packed_weight(const Tensor& w, const GemmOperand& B, int64_t K, int64_t N, int64_t M);

// The bf16 weight B(k, n) = b[k*rs + n*cs] packed for the vdpbf16ps kernels (bf16_gemm.hpp), cached
// under the same rule (read-only storage, any unit-stride layout: Linear [N, K] and Conv1D [K, N]
// alike, since these kernels need the pack for every product); nullptr when not cacheable.
const uint16_t* packed_weight_bf16(const Tensor& w, const uint16_t* b, int64_t rs, int64_t cs, int64_t K, int64_t N);

// True unless TRANSFORMERS_PACKED_PAGE_OUT=0: once a weight's bf16 pack is made, the pages of the
// weight's own bytes are given back when they are a read-only file mapping (madvise MADV_DONTNEED),
// since the native bf16 kernels read only the pack; a later reader (save, state_dict, an embedding
// lookup) faults them in again from the page cache.
bool bf16_page_out_enabled();

// entries / bytes: the packed copies held now (all of them belong to live weights).
struct PackedWeightStats {
  int64_t entries = 0, bytes = 0, hits = 0, misses = 0;
};
PackedWeightStats packed_weight_stats();
void clear_packed_weights();
// `w`'s storage is never cached from now on (its copies dropped): a disk-offloaded weight.
void never_pack_weight(const Tensor& w);
bool packed_weights_enabled();

}  // namespace transformers::ops::detail
