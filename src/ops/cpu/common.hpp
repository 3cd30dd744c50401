#pragma once
// Internal helpers shared by the CPU op implementations: dtype classes, the compute ("opmath") type
// of a dtype, and a strided N-operand loop that coalesces dims and runs on the thread pool.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "ops/op_utils.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/core/tensor.hpp"

namespace transformers::ops::detail {

// Runs fn(offsets, n, inner_strides) over every element of `sizes`, where operand k's element
// offset (in elements, relative to its data pointer) is offsets[k] + i * inner_strides[k] for
// i in [0, n). Dims are coalesced first; the work is split over the pool when large.
template <size_t K, typename Fn>
void strided_loop(const Shape& sizes, const std::array<Shape, K>& strides, Fn&& fn, int64_t grain = 32768) {
  const int64_t numel = shape_numel(sizes);
  if (numel == 0) return;
  // Drop size-1 dims and merge dims that are contiguous with each other for every operand.
  Shape sz;
  std::array<Shape, K> st;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 1) continue;
    if (!sz.empty()) {
      bool merge = true;
      for (size_t k = 0; k < K; ++k)
        if (st[k].back() != strides[k][d] * sizes[d]) merge = false;
      if (merge) {
        sz.back() *= sizes[d];
        for (size_t k = 0; k < K; ++k) st[k].back() = strides[k][d];
        continue;
      }
    }
    sz.push_back(sizes[d]);
    for (size_t k = 0; k < K; ++k) st[k].push_back(strides[k][d]);
  }
  if (sz.empty()) {
    sz.push_back(1);
    for (size_t k = 0; k < K; ++k) st[k].push_back(0);
  }
  const size_t nd = sz.size();
  const int64_t inner = sz[nd - 1];
  std::array<int64_t, K> inner_st;
  for (size_t k = 0; k < K; ++k) inner_st[k] = st[k][nd - 1];
  parallel_for(0, numel, grain, [&](int64_t b, int64_t e) {
    // Multi-index of element b.
    std::array<int64_t, 16> idx_small{};
    std::vector<int64_t> idx_big;
    int64_t* idx = nd <= 16 ? idx_small.data() : (idx_big.assign(nd, 0), idx_big.data());
    int64_t rem = b;
    for (size_t d = nd; d-- > 0;) {
      idx[d] = rem % sz[d];
      rem /= sz[d];
    }
    std::array<int64_t, K> off{};
    for (size_t k = 0; k < K; ++k)
      for (size_t d = 0; d < nd; ++d) off[k] += idx[d] * st[k][d];
    int64_t i = b;
    while (i < e) {
      const int64_t n = std::min(e - i, inner - idx[nd - 1]);
      fn(off, n, inner_st);
      i += n;
      // advance the multi-index by n (the innermost dim wraps at most once)
      idx[nd - 1] += n;
      for (size_t k = 0; k < K; ++k) off[k] += n * inner_st[k];
      for (size_t d = nd - 1; d > 0 && idx[d] == sz[d]; --d) {
        for (size_t k = 0; k < K; ++k) off[k] += st[k][d - 1] - sz[d] * st[k][d];
        idx[d] = 0;
        ++idx[d - 1];
      }
    }
  });
}

// Moves `dim` to the end and makes the data contiguous in dtype `dt` (rows of length size(dim)).
inline Tensor move_dim_last_contiguous(const Tensor& t, int64_t dim, DType dt) {
  Tensor x = dim == t.dim() - 1 || t.dim() == 0 ? t : t.transpose(dim, -1);
  return x.contiguous().to(dt);
}

}  // namespace transformers::ops::detail
