// Embedding lookup, index_select, gather, cat/stack, topk/sort, tril/triu.
#include "transformers/ops/indexing.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "ops/cpu/common.hpp"
#include "ops/cpu/kernels.hpp"
#include "transformers/ops/elementwise.hpp"

namespace transformers::ops::cpu {

namespace {

Tensor index_as_int64(const Tensor& idx, const char* op) {
  detail::check_defined(idx, op, "index");
  if (idx.dtype() != DType::Int64 && idx.dtype() != DType::Int32)
    throw ValueError(std::string(op) + ": expected int64 or int32 indices, found " + std::string(dtype_name(idx.dtype())));
  return idx.to(DType::Int64).contiguous();
}

}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& ids) {
  detail::check_defined(weight, "embedding", "weight");
  if (weight.dim() != 2) throw ShapeError("embedding: weight must be 2-D [num_embeddings, dim], found " + shape_str(weight.sizes()));
  const Tensor id = index_as_int64(ids, "embedding");
  const int64_t V = weight.size(0), D = weight.size(1);
  const Tensor w = weight.contiguous();
  Shape osh = ids.sizes();
  osh.push_back(D);
  // GGML blocks (a GGUF embedding kept quantized): the rows are gathered as blocks (a row is whole
  // blocks) and dequantized, so the lookup yields the float32 values the dequantized table holds.
  const bool blocks = is_quantized(weight.dtype());
  if (blocks && D % int64_t(dtype_traits(weight.dtype()).block_elems) != 0)
    throw ShapeError("embedding: a " + std::string(dtype_name(weight.dtype())) + " table needs rows of whole blocks of " +
                     std::to_string(dtype_traits(weight.dtype()).block_elems) + ", found " + std::to_string(D));
  Tensor out = Tensor::empty(blocks ? Shape{id.numel(), D} : osh, weight.dtype());
  const int64_t* pi = id.data<int64_t>();
  const size_t row = blocks ? size_t(D / int64_t(dtype_traits(weight.dtype()).block_elems)) *
                                  dtype_traits(weight.dtype()).block_bytes
                            : size_t(D) * w.element_size();
  const char* pw = D ? static_cast<const char*>(w.data_ptr()) : nullptr;
  char* po = D ? static_cast<char*>(out.data_ptr()) : nullptr;
  for (int64_t i = 0; i < id.numel(); ++i) {
    const int64_t v = pi[i];
    if (v < 0 || v >= V)
      throw ValueError("embedding: index " + std::to_string(v) + " at position " + std::to_string(i) +
                       " is out of range for an embedding table of " + std::to_string(V) + " rows");
    if (row) std::memcpy(po + i * int64_t(row), pw + v * int64_t(row), row);
  }
  return blocks ? out.to(DType::Float32).view(osh) : out;
}

Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index) {
  detail::check_defined(t, "index_select", "input");
  const Tensor id = index_as_int64(index, "index_select");
  if (id.dim() > 1) throw ShapeError("index_select: index must be 0-D or 1-D, found " + shape_str(index.sizes()));
  const int64_t d = wrap_dim(dim, t.dim());
  const int64_t n = t.dim() == 0 ? 1 : t.size(d);
  const Tensor src = t.contiguous();
  Shape osh = t.sizes();
  if (t.dim() > 0) osh[size_t(d)] = id.numel();
  Tensor out = Tensor::empty(osh, t.dtype());
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < d; ++i) outer *= t.size(i);
  for (int64_t i = d + 1; i < t.dim(); ++i) inner *= t.size(i);
  const size_t es = t.element_size();
  const int64_t* pi = id.data<int64_t>();
  for (int64_t j = 0; j < id.numel(); ++j)
    if (pi[j] < 0 || pi[j] >= n)
      throw ValueError("index_select: index " + std::to_string(pi[j]) + " is out of range for dim " + std::to_string(dim) +
                       " of size " + std::to_string(n));
  if (out.numel() == 0) return out;
  const char* ps = static_cast<const char*>(src.data_ptr());
  char* po = static_cast<char*>(out.data_ptr());
  const size_t blk = size_t(inner) * es;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < id.numel(); ++j)
      std::memcpy(po + (o * id.numel() + j) * int64_t(blk), ps + (o * n + pi[j]) * int64_t(blk), blk);
  return out;
}

Tensor gather(const Tensor& t, int64_t dim, const Tensor& index) {
  detail::check_defined(t, "gather", "input");
  const Tensor id = index_as_int64(index, "gather");
  if (id.dim() != t.dim() && !(t.dim() == 0 && id.dim() <= 1))
    throw ShapeError("gather: index must have the input's rank " + std::to_string(t.dim()) + ", found shape " +
                     shape_str(index.sizes()));
  const int64_t d = wrap_dim(dim, t.dim());
  for (int64_t i = 0; i < t.dim(); ++i)
    if (i != d && id.size(i) > t.size(i))
      throw ShapeError("gather: index shape " + shape_str(index.sizes()) + " exceeds input shape " + shape_str(t.sizes()) +
                       " at dim " + std::to_string(i));
  Tensor out = Tensor::empty(id.sizes(), t.dtype());
  const size_t es = t.element_size();
  const int64_t n = t.dim() == 0 ? 1 : t.size(d);
  const int64_t* pi = id.data<int64_t>();
  const char* base = static_cast<const char*>(t.storage() ? t.storage()->data() : nullptr);
  char* po = out.numel() ? static_cast<char*>(out.data_ptr()) : nullptr;
  const int64_t nd = id.dim();
  std::vector<int64_t> ix(size_t(nd), 0);
  for (int64_t lin = 0; lin < id.numel(); ++lin) {
    int64_t rem = lin;
    for (int64_t k = nd; k-- > 0;) { ix[size_t(k)] = rem % id.size(k); rem /= id.size(k); }
    const int64_t v = pi[lin];
    if (v < -n || v >= n)
      throw ValueError("gather: index " + std::to_string(v) + " is out of bounds for dim " + std::to_string(dim) +
                       " with size " + std::to_string(n));
    int64_t off = t.storage_offset();
    for (int64_t k = 0; k < t.dim(); ++k) off += (k == d ? (v < 0 ? v + n : v) : ix[size_t(k)]) * t.stride(k);
    std::memcpy(po + lin * int64_t(es), base + off * int64_t(es), es);
  }
  return out;
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty()) throw ValueError("cat: expected a non-empty list of tensors");
  // torch skips legacy 1-D empty tensors when the others have a different rank
  std::vector<Tensor> ts;
  for (const auto& t : tensors) {
    detail::check_defined(t, "cat", "tensors[i]");
    if (!(t.dim() == 1 && t.size(0) == 0)) ts.push_back(t);
  }
  if (ts.empty()) return tensors[0].clone();
  DType rt = ts[0].dtype();
  for (size_t i = 1; i < ts.size(); ++i) rt = result_type(Tensor::empty(Shape(1, 0), rt), Tensor::empty(Shape(1, 0), ts[i].dtype()));
  const Tensor& ref = ts[0];
  if (ref.dim() == 0) throw ShapeError("cat: zero-dimensional tensor cannot be concatenated");
  const int64_t d = wrap_dim(dim, ref.dim());
  Shape osh = ref.sizes();
  osh[size_t(d)] = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    if (ts[i].dim() != ref.dim())
      throw ShapeError("cat: tensors must have the same rank: tensor 0 has shape " + shape_str(ref.sizes()) + ", tensor " +
                       std::to_string(i) + " has " + shape_str(ts[i].sizes()));
    for (int64_t k = 0; k < ref.dim(); ++k)
      if (k != d && ts[i].size(k) != ref.size(k))
        throw ShapeError("cat: sizes must match except in dim " + std::to_string(d) + ": " + shape_str(ref.sizes()) +
                         " vs " + shape_str(ts[i].sizes()) + " (tensor " + std::to_string(i) + ")");
    osh[size_t(d)] += ts[i].size(d);
  }
  Tensor out = Tensor::empty(osh, rt);
  int64_t pos = 0;
  for (const auto& t : ts) {
    const int64_t len = t.size(d);
    if (len) copy_elements(out.narrow(d, pos, len), t);
    pos += len;
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty()) throw ValueError("stack: expected a non-empty list of tensors");
  const int64_t d = wrap_dim(dim, tensors[0].dim() + 1);
  std::vector<Tensor> us;
  for (size_t i = 0; i < tensors.size(); ++i) {
    detail::check_defined(tensors[i], "stack", "tensors[i]");
    if (tensors[i].sizes() != tensors[0].sizes())
      throw ShapeError("stack: expects each tensor to be equal size, but got " + shape_str(tensors[0].sizes()) +
                       " at entry 0 and " + shape_str(tensors[i].sizes()) + " at entry " + std::to_string(i));
    us.push_back(tensors[i].unsqueeze(d));
  }
  return cat(us, d);
}

namespace {
// Orders row indices by value: NaN is the largest value (torch's order); ties keep index order.
std::vector<int64_t> ordered_indices(const double* r, int64_t n, bool descending, int64_t k, bool partial) {
  std::vector<int64_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  auto less = [&](int64_t a, int64_t b) {
    const double x = r[a], y = r[b];
    const bool nx = std::isnan(x), ny = std::isnan(y);
    if (descending) {
      if (nx != ny) return nx;       // NaN first
      if (!nx && x != y) return x > y;
    } else {
      if (nx != ny) return ny;       // NaN last
      if (!nx && x != y) return x < y;
    }
    return a < b;
  };
  if (partial && k < n) {
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), less);
    idx.resize(size_t(k));
  } else {
    std::stable_sort(idx.begin(), idx.end(), less);
  }
  return idx;
}

std::pair<Tensor, Tensor> order_along(const Tensor& t, int64_t dim, int64_t k, bool descending, bool partial, const char* op) {
  detail::check_defined(t, op, "input");
  if (t.dtype() == DType::Bool && false) {}
  const int64_t d = wrap_dim(dim, t.dim());
  const int64_t n = t.dim() == 0 ? 1 : t.size(d);
  if (k < 0 || k > n)
    throw ValueError(std::string(op) + ": k " + std::to_string(k) + " out of range for dimension " + std::to_string(dim) +
                     " of size " + std::to_string(n));
  const Tensor rows = detail::move_dim_last_contiguous(t, d, DType::Float64);
  const int64_t outer = n ? rows.numel() / n : 0;
  Shape ish = rows.sizes();
  if (!ish.empty()) ish.back() = k;
  Tensor idx = Tensor::empty(ish, DType::Int64);
  const double* pr = rows.data<double>();
  int64_t* pi = idx.data<int64_t>();
  for (int64_t o = 0; o < outer; ++o) {
    const auto ord = ordered_indices(pr + o * n, n, descending, k, partial);
    std::copy(ord.begin(), ord.begin() + k, pi + o * k);
  }
  Tensor idx_t = (t.dim() == 0 || d == t.dim() - 1) ? idx : idx.transpose(d, -1).contiguous();
  // values gathered from the source keep exact int64 values and the dtype
  Tensor vals = t.dim() == 0 ? t.clone() : gather(t, d, idx_t);
  return {vals, t.dim() == 0 ? idx_t.reshape({}) : idx_t};
}
}  // namespace

std::pair<Tensor, Tensor> topk(const Tensor& t, int64_t k, int64_t dim, bool largest, bool sorted) {
  return order_along(t, dim, k, largest, true, "topk");
}

std::pair<Tensor, Tensor> sort(const Tensor& t, int64_t dim, bool descending, bool stable) {
  detail::check_defined(t, "sort", "input");
  const int64_t n = t.dim() == 0 ? 1 : t.size(wrap_dim(dim, t.dim()));
  return order_along(t, dim, n, descending, false, "sort");
}

namespace {
Tensor tri(const Tensor& t, int64_t diagonal, bool lower, const char* op) {
  detail::check_defined(t, op, "input");
  if (t.dim() < 2) throw ShapeError(std::string(op) + ": input tensor must have at least 2 dimensions, found " + shape_str(t.sizes()));
  Tensor out = t.clone();
  const int64_t R = t.size(-2), C = t.size(-1);
  const int64_t mats = (R * C) != 0 ? out.numel() / (R * C) : 0;
  const size_t es = out.element_size();
  char* p = out.numel() ? static_cast<char*>(out.data_ptr()) : nullptr;
  for (int64_t m = 0; m < mats; ++m)
    for (int64_t i = 0; i < R; ++i)
      for (int64_t j = 0; j < C; ++j) {
        const bool keep = lower ? (j - i <= diagonal) : (j - i >= diagonal);
        if (!keep) std::memset(p + ((m * R + i) * C + j) * int64_t(es), 0, es);
      }
  return out;
}
}  // namespace

Tensor tril(const Tensor& t, int64_t diagonal) { return tri(t, diagonal, true, "tril"); }
Tensor triu(const Tensor& t, int64_t diagonal) { return tri(t, diagonal, false, "triu"); }

}  // namespace transformers::ops::cpu
