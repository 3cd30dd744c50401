#include "transformers/nn/kv_cache.hpp"

#include <algorithm>
#include <cstring>

#include "transformers/ops/indexing.hpp"

namespace transformers {

namespace {
void check_states(const Tensor& k, const Tensor& v, int64_t layer_idx) {
  const std::string where = "Cache::update(layer " + std::to_string(layer_idx) + ")";
  if (!k.defined() || !v.defined()) throw ValueError(where + ": key and value states must be defined");
  if (k.dim() != 4 || v.dim() != 4)
    throw ShapeError(where + ": expected 4-D [batch, heads, seq, head_dim] states, found keys " +
                     shape_str(k.sizes()) + " values " + shape_str(v.sizes()));
  if (k.size(0) != v.size(0) || k.size(1) != v.size(1) || k.size(2) != v.size(2))
    throw ShapeError(where + ": keys " + shape_str(k.sizes()) + " and values " + shape_str(v.sizes()) +
                     " disagree in batch, heads or length");
}
// dst[b, h, s, :] = src[b, h, s, :] for 4-D tensors of equal shape. Same dtype with unit last
// strides (every decode step: keys are a strided view of the fused QKV projection) copies each
// head row with one memcpy; anything else goes through copy_ (which also converts dtypes).
void copy_rows(Tensor dst, const Tensor& src) {
  if (dst.dtype() != src.dtype() || dst.stride(3) != 1 || src.stride(3) != 1 || dst.device() != Device::CPU ||
      src.device() != Device::CPU) {
    dst.copy_(src);
    return;
  }
  const size_t row = size_t(src.size(3)) * dtype_size(src.dtype());
  const int64_t es = int64_t(dtype_size(src.dtype()));
  char* pd = static_cast<char*>(dst.mutable_data_ptr());
  const char* ps = static_cast<const char*>(src.data_ptr());
  for (int64_t b = 0; b < src.size(0); ++b)
    for (int64_t h = 0; h < src.size(1); ++h)
      for (int64_t i = 0; i < src.size(2); ++i)
        std::memcpy(pd + (b * dst.stride(0) + h * dst.stride(1) + i * dst.stride(2)) * es,
                    ps + (b * src.stride(0) + h * src.stride(1) + i * src.stride(2)) * es, row);
}
}  // namespace

void Cache::grow(Layer& l, int64_t needed) {
  int64_t cap = l.keys.size(2);
  if (needed <= cap) return;
  int64_t new_cap = std::max(needed, cap * 2);
  Tensor nk = Tensor::zeros({l.keys.size(0), l.keys.size(1), new_cap, l.keys.size(3)}, l.keys.dtype());
  Tensor nv = Tensor::zeros({l.values.size(0), l.values.size(1), new_cap, l.values.size(3)}, l.values.dtype());
  if (l.length > 0) {
    nk.narrow(2, 0, l.length).copy_(l.keys.narrow(2, 0, l.length));
    nv.narrow(2, 0, l.length).copy_(l.values.narrow(2, 0, l.length));
  }
  l.keys = nk;
  l.values = nv;
}

std::pair<Tensor, Tensor> Cache::update(const Tensor& k, const Tensor& v, int64_t layer_idx) {
  if (layer_idx < 0) throw ValueError("Cache::update: layer_idx must be >= 0, found " + std::to_string(layer_idx));
  check_states(k, v, layer_idx);
  if (int64_t(layers_.size()) <= layer_idx) layers_.resize(size_t(layer_idx) + 1);
  Layer& l = layers_[size_t(layer_idx)];
  const int64_t n = k.size(2);
  if (!l.keys.defined()) {
    int64_t cap = std::max(options_.max_cache_len, n);
    if (l.window > 0) cap = std::max(std::min(cap, 2 * l.window), n);  // a window layer never needs more
    l.keys = Tensor::zeros({k.size(0), k.size(1), cap, k.size(3)}, k.dtype());
    l.values = Tensor::zeros({v.size(0), v.size(1), cap, v.size(3)}, v.dtype());
    l.length = 0;
  } else if (k.size(0) != l.keys.size(0) || k.size(1) != l.keys.size(1) || k.size(3) != l.keys.size(3) ||
             v.size(3) != l.values.size(3)) {
    throw ShapeError("Cache::update(layer " + std::to_string(layer_idx) + "): cached keys are [batch " +
                     std::to_string(l.keys.size(0)) + ", heads " + std::to_string(l.keys.size(1)) + ", head_dim " +
                     std::to_string(l.keys.size(3)) + "], new keys are " + shape_str(k.sizes()));
  }
  if (l.window > 0 && l.start > 0 && l.length + n > l.keys.size(2)) compact(l);
  grow(l, l.length + n);
  // copy_ converts dtype, so half-precision states may enter a float32 cache and vice versa.
  copy_rows(l.keys.narrow(2, l.length, n), k);
  copy_rows(l.values.narrow(2, l.length, n), v);
  l.length += n;
  l.seen += n;
  std::pair<Tensor, Tensor> out{l.keys.narrow(2, l.start, l.length - l.start),
                                l.values.narrow(2, l.start, l.length - l.start)};
  if (l.window > 0) {
    // The next query (position seen) sees keys down to position seen - window + 1.
    l.start = std::max(l.start, l.length - (l.window - 1));
    // A prefill longer than 2 * window allocated its own length: give the block back (the views
    // returned above keep the old storage alive for this step).
    if (l.keys.size(2) > 2 * l.window) {
      Tensor nk = Tensor::zeros({l.keys.size(0), l.keys.size(1), 2 * l.window, l.keys.size(3)}, l.keys.dtype());
      Tensor nv = Tensor::zeros({l.values.size(0), l.values.size(1), 2 * l.window, l.values.size(3)}, l.values.dtype());
      const int64_t kept = l.length - l.start;
      if (kept > 0) {
        nk.narrow(2, 0, kept).copy_(l.keys.narrow(2, l.start, kept));
        nv.narrow(2, 0, kept).copy_(l.values.narrow(2, l.start, kept));
      }
      l.keys = nk;
      l.values = nv;
      l.start = 0;
      l.length = kept;
    }
  }
  return out;
}

// The kept rows [start, length) move to the front (through a copy: the ranges may overlap).
void Cache::compact(Layer& l) {
  const int64_t kept = l.length - l.start;
  if (kept > 0) {
    const Tensor k = l.keys.narrow(2, l.start, kept).clone();
    const Tensor v = l.values.narrow(2, l.start, kept).clone();
    l.keys.narrow(2, 0, kept).copy_(k);
    l.values.narrow(2, 0, kept).copy_(v);
  }
  l.start = 0;
  l.length = kept;
}

void Cache::set_sliding_window(int64_t layer_idx, int64_t window) {
  const std::string where = "Cache::set_sliding_window(layer " + std::to_string(layer_idx) + ")";
  if (layer_idx < 0 || window <= 0)
    throw ValueError(where + ": expected layer_idx >= 0 and a positive window, found window " + std::to_string(window));
  if (int64_t(layers_.size()) <= layer_idx) layers_.resize(size_t(layer_idx) + 1);
  Layer& l = layers_[size_t(layer_idx)];
  if (l.window == window) return;
  if (l.keys.defined())
    throw ValueError(where + ": the layer already holds tokens with window " + std::to_string(l.window) +
                     "; a window of " + std::to_string(window) + " must be set before its first update");
  l.window = window;
}

int64_t Cache::sliding_window(int64_t layer_idx) const {
  if (layer_idx < 0 || layer_idx >= int64_t(layers_.size())) return 0;
  return layers_[size_t(layer_idx)].window;
}

int64_t Cache::get_seq_length(int64_t layer_idx) const {
  if (layer_idx < 0 || layer_idx >= int64_t(layers_.size())) return 0;
  return layers_[size_t(layer_idx)].seen;
}

int64_t Cache::capacity(int64_t layer_idx) const {
  if (layer_idx < 0 || layer_idx >= int64_t(layers_.size()) || !layers_[size_t(layer_idx)].keys.defined()) return 0;
  return layers_[size_t(layer_idx)].keys.size(2);
}

int64_t Cache::batch_size() const {
  for (auto& l : layers_)
    if (l.keys.defined()) return l.keys.size(0);
  return 0;
}

Tensor Cache::key_cache(int64_t layer_idx) const {
  if (layer_idx < 0 || layer_idx >= int64_t(layers_.size())) return Tensor();
  auto& l = layers_[size_t(layer_idx)];
  return l.keys.defined() ? l.keys.narrow(2, l.start, l.length - l.start) : Tensor();
}

Tensor Cache::value_cache(int64_t layer_idx) const {
  if (layer_idx < 0 || layer_idx >= int64_t(layers_.size())) return Tensor();
  auto& l = layers_[size_t(layer_idx)];
  return l.values.defined() ? l.values.narrow(2, l.start, l.length - l.start) : Tensor();
}

void Cache::batch_select_indices(const Tensor& indices) {
  for (auto& l : layers_) {
    if (!l.keys.defined()) continue;
    // index_select gathers whole rows (all capacity), keeping the preallocated layout.
    l.keys = ops::index_select(l.keys, 0, indices);
    l.values = ops::index_select(l.values, 0, indices);
  }
}

void Cache::reorder_cache(const Tensor& beam_idx) { batch_select_indices(beam_idx); }

void Cache::batch_repeat_interleave(int64_t repeats) {
  if (repeats < 1) throw ValueError("Cache::batch_repeat_interleave: repeats must be >= 1, found " + std::to_string(repeats));
  const int64_t b = batch_size();
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < b; ++i)
    for (int64_t r = 0; r < repeats; ++r) idx.push_back(i);
  batch_select_indices(Tensor::from_vector(idx));
}

void Cache::crop(int64_t max_length) {
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& l = layers_[i];
    int64_t keep = max_length < 0 ? l.seen + max_length : max_length;
    if (keep < 0) keep = 0;
    if (keep >= l.seen) continue;
    // A window layer holds tokens [seen - kept, seen); after the crop the next query needs
    // [keep - window + 1, keep).
    const int64_t held_from = l.seen - (l.length - l.start);
    if (l.window > 0 && held_from > std::max<int64_t>(0, keep - (l.window - 1)))
      throw ValueError("Cache::crop(" + std::to_string(max_length) + "): sliding-window layer " + std::to_string(i) +
                       " (window " + std::to_string(l.window) + ") no longer holds the tokens from position " +
                       std::to_string(std::max<int64_t>(0, keep - (l.window - 1))) + " on; it keeps positions " +
                       std::to_string(held_from) + " to " + std::to_string(l.seen - 1));
    l.length -= l.seen - keep;
    l.seen = keep;
  }
}

void Cache::reset() {
  for (auto& l : layers_) l.length = l.start = l.seen = 0;
}

}  // namespace transformers
