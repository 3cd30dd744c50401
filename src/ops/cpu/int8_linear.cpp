// The int8 copies of weights (int8_linear.hpp): kept in the weight storage's derived-data slot, so
// they are freed with the weight, and looked up per product by the exact view and layout.
#include "ops/cpu/int8_linear.hpp"

#include <mutex>
#include <tuple>
#include <utility>
#include <vector>

#include "transformers/core/storage.hpp"

namespace transformers::ops::detail {

namespace {

struct Int8ViewKey {
  int64_t offset;
  std::vector<int64_t> sizes, strides;
  bool kn;
  bool operator==(const Int8ViewKey& o) const {
    return std::tie(offset, sizes, strides, kn) == std::tie(o.offset, o.sizes, o.strides, o.kn);
  }
};

Int8ViewKey key_of(const Tensor& w, bool kn) {
  return {w.storage_offset(), std::vector<int64_t>(w.sizes().begin(), w.sizes().end()),
          std::vector<int64_t>(w.strides().begin(), w.strides().end()), kn};
}

// The copies of one storage (usually one view: the weight itself).
struct Int8Set {
  std::mutex mu;
  std::vector<std::pair<Int8ViewKey, std::shared_ptr<const Int8Weight>>> views;
};

const char kInt8Slot = 0;  // the slot key (its address) in Storage's derived data

std::shared_ptr<Int8Set> find_set(const Tensor& w) {
  if (!w.defined() || !w.storage()) return nullptr;
  return std::static_pointer_cast<Int8Set>(w.storage()->derived(&kInt8Slot));
}

}  // namespace

void set_int8_weight(const Tensor& w, bool kn_layout, std::shared_ptr<const Int8Weight> q) {
  if (!w.defined() || !w.storage()) return;
  static std::mutex create_mu;  // one set per storage even when two threads quantize views of it
  std::shared_ptr<Int8Set> set;
  {
    std::lock_guard<std::mutex> lock(create_mu);
    set = find_set(w);
    if (!set) {
      if (!q) return;
      set = std::make_shared<Int8Set>();
      w.storage()->set_derived(&kInt8Slot, set);
    }
  }
  const Int8ViewKey key = key_of(w, kn_layout);
  std::lock_guard<std::mutex> lock(set->mu);
  std::erase_if(set->views, [&](const auto& e) { return e.first == key; });
  if (q) set->views.emplace_back(key, std::move(q));
}

std::shared_ptr<const Int8Weight> int8_weight(const Tensor& w, bool kn_layout) {
  const std::shared_ptr<Int8Set> set = find_set(w);
  if (!set) return nullptr;
  const Int8ViewKey key = key_of(w, kn_layout);
  std::lock_guard<std::mutex> lock(set->mu);
  for (const auto& [k, q] : set->views)
    if (k == key) return q;
  return nullptr;
}

int64_t int8_weight_bytes(const Tensor& w) {
  const std::shared_ptr<Int8Set> set = find_set(w);
  if (!set) return 0;
  std::lock_guard<std::mutex> lock(set->mu);
  int64_t b = 0;
  for (const auto& e : set->views) b += e.second->bytes();
  return b;
}

Tensor linear_int8(const Tensor& x0, const Tensor& w, bool kn_layout, const Tensor& bias) {
  const std::shared_ptr<const Int8Weight> q = int8_weight(w, kn_layout);
  if (!q) return Tensor();
  const int64_t K = q->K, N = q->N;
  const int64_t M = shape_numel(Shape(x0.sizes().begin(), x0.sizes().end() - 1));
  const Tensor x = x0.reshape({M, K}).contiguous().to(DType::Float32);
  // Reused per thread: a fresh buffer of 128 x 3072 bytes was a fresh mapping, zeroed by page faults.
  thread_local Int8Rows rows;
  // Non-finite activations: the float32 product, where NaN and infinity propagate as 4.51's do.
  if (M == 0 || !int8_quantize_rows(x.data<float>(), M, K, K, rows)) return Tensor();
  const Tensor b = bias.defined() ? bias.to(DType::Float32).contiguous() : Tensor();
  Tensor y = Tensor::empty({M, N}, DType::Float32);
  int8_gemm(*q, rows, b.defined() ? b.data<float>() : nullptr, y.data<float>(), N);
  // A one-off large product (more than 16 MiB of quantized rows) does not stay held by the thread.
  if (rows.u.capacity() + rows.q.capacity() + 2 * rows.q16.capacity() > (size_t(16) << 20)) rows = Int8Rows();
  Shape osh(x0.sizes().begin(), x0.sizes().end() - 1);
  osh.push_back(N);
  return y.view(osh);
}

}  // namespace transformers::ops::detail
