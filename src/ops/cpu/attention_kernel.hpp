#pragma once
// The fused streaming-softmax attention tile: its arguments. The kernel (attention_tile_impl.hpp) is
// one template built per kernel level and reached through the level's IsaKernels (isa_kernels.hpp).
#include <cstdint>

namespace transformers::ops::detail {

// Element type of the K and V rows a tile reads.
enum class KvType : uint8_t { Float32, BFloat16, Float16 };

struct AttnTile {
  const float* q;   // first query row of the tile; rows q_rs apart, D contiguous floats each
  int64_t q_rs;
  int64_t nq;       // query rows in the tile
  int64_t q0;       // index of the tile's first query row (for the causal limit)
  // K and V: float32, or (kv != Float32) the 16-bit rows of the cache read in place and widened in
  // registers, so a decode step over a bfloat16 / float16 cache makes no float32 copy of it.
  const void* k;    // Lk rows, k_rs elements apart, D elements each
  int64_t k_rs;
  const void* v;    // Lk rows, v_rs elements apart, Dv elements each
  int64_t v_rs;
  KvType kv;        // element type of k and v
  int64_t Lk, D, Dv;
  const float* mask;  // additive float mask for the tile's first row, or nullptr
  int64_t m_rs, m_cs; // mask strides (0 where broadcast)
  bool causal;        // query i sees keys j <= i (top-left aligned, like torch)
  float scale;
  float* out;         // nq rows of Dv floats, o_rs apart
  int64_t o_rs;
  float* scratch;     // attn_scratch_floats(nq, D, Dv) floats
};

constexpr int64_t kAttnBlockK = 64;
inline int64_t attn_scratch_floats(int64_t nq, int64_t D, int64_t Dv) {
  return D * kAttnBlockK + nq * kAttnBlockK + nq * Dv + 2 * nq + (D > kAttnBlockK ? D : kAttnBlockK) +
         (Dv > kAttnBlockK ? Dv : kAttnBlockK) + kAttnBlockK;
}

}  // namespace transformers::ops::detail
