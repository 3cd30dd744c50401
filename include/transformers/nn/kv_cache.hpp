#pragma once
// Cache: the key/value cache of decoder models, shared by every architecture and by generation.
// Python's DynamicCache grows by torch.cat each step; here each layer owns one preallocated block
// [batch, kv_heads, capacity, head_dim] per key and value, new entries are copied in place, and
// update() hands back views of the filled part. No concatenation per step.
//
//   Cache cache({.max_cache_len = prompt_len + max_new_tokens});
//   model.forward({.input_ids = ids, .past_key_values = &cache, .use_cache = true});
//   cache.get_seq_length();   // tokens cached so far
//   cache.reorder_cache(beam_idx);  // beam search: rows follow their beams
//
// Blocks are allocated at a layer's first update (batch, heads, head_dim and dtype come from the
// first keys it sees). When a sequence outgrows capacity the block is reallocated with doubled
// capacity (one copy, amortised), so a too-small max_cache_len costs time, never correctness.
//
// Sliding-window layers (Mistral, Qwen2, Gemma 2/3 local layers; set_sliding_window) keep only the
// window - 1 newest tokens, all a later query may see (4.51's mask hides keys window or more
// positions back), as 4.51's SlidingWindowCache / HybridCache local layers do: their block never
// grows past 2 * window (the newest window - 1 rows are moved to the front when it fills, one copy
// per window steps), update() returns the kept tokens plus the new ones, and get_seq_length still
// counts every token seen, so positions and masks are those of the full sequence.
#include <utility>
#include <vector>

#include "transformers/core/tensor.hpp"

namespace transformers {

struct CacheOptions {
  // Capacity per layer in tokens; 0 = exactly what the first update needs (then doubling).
  int64_t max_cache_len = 0;
};

class Cache {
 public:
  explicit Cache(CacheOptions options = {}) : options_(options) {}

  // Appends key/value states [batch, kv_heads, new_len, head_dim] of `layer_idx` after what is
  // cached and returns (keys, values) views [batch, kv_heads, cached + new_len, head_dim].
  // ShapeError when batch/heads/head_dim differ from what the layer holds.
  std::pair<Tensor, Tensor> update(const Tensor& key_states, const Tensor& value_states, int64_t layer_idx);

  // Tokens cached in `layer_idx` (0 for a layer never updated), Python's get_seq_length.
  int64_t get_seq_length(int64_t layer_idx = 0) const;
  // Python's get_max_cache_shape: -1 here, as for DynamicCache (None), because blocks grow on demand.
  int64_t get_max_cache_shape() const { return -1; }
  // Capacity currently allocated for a layer (0 when not yet allocated).
  int64_t capacity(int64_t layer_idx = 0) const;
  int64_t num_layers() const { return int64_t(layers_.size()); }
  // Batch size held (0 when empty).
  int64_t batch_size() const;

  // From now on `layer_idx` keeps only its window - 1 newest tokens (see above); window > 0. Set it
  // before the layer's first update (ValueError after, or for window <= 0).
  void set_sliding_window(int64_t layer_idx, int64_t window);
  int64_t sliding_window(int64_t layer_idx) const;  // 0: the layer keeps everything

  // Beam search: every layer's rows become rows `beam_idx` (int64 [batch']), Python's reorder_cache.
  void reorder_cache(const Tensor& beam_idx);
  // Drops everything after `max_length` tokens (negative: drop that many from the end), Python's crop.
  // ValueError when a sliding-window layer would have to give back tokens it no longer holds.
  void crop(int64_t max_length);
  // Forgets all entries but keeps the allocated blocks.
  void reset();
  // Python's batch_repeat_interleave / batch_select_indices (contrastive search, beam expansion).
  void batch_repeat_interleave(int64_t repeats);
  void batch_select_indices(const Tensor& indices);

  // The kept part of one layer (views); undefined tensors for a layer never updated.
  Tensor key_cache(int64_t layer_idx) const;
  Tensor value_cache(int64_t layer_idx) const;

 private:
  struct Layer {
    Tensor keys;    // [B, H, capacity, D]
    Tensor values;  // [B, H, capacity, Dv]
    int64_t length = 0;  // rows written; the kept tokens are rows [start, length)
    int64_t start = 0;   // sliding-window layers: the oldest kept row
    int64_t seen = 0;    // tokens ever appended (minus crops): get_seq_length
    int64_t window = 0;  // 0: keep everything
  };
  void grow(Layer& l, int64_t needed);
  void compact(Layer& l);
  CacheOptions options_;
  std::vector<Layer> layers_;
};

}  // namespace transformers
