// Backward of the indexing and joining ops, the reductions and rotary: embedding / index_select /
// gather scatter-add the gradient back to the rows they read (in the weight's dtype, or float32
// for 16-bit weights, as torch accumulates); cat / stack hand each input its slice; sum / mean
// broadcast the gradient back over the reduced dimensions.
#include <algorithm>

#include "ops/autograd/grad_utils.hpp"
#include "ops/dispatch.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/indexing.hpp"
#include "transformers/ops/rotary.hpp"

namespace transformers::ops {

using grad::Grads;

namespace {
// The accumulation dtype of a scatter-add into a tensor of `dt`.
DType accumulate_dtype(DType dt) { return dt == DType::Float64 ? DType::Float64 : DType::Float32; }

// out (zeros of `shape` on `device`, accumulating in float32/64) gets src added at the positions
// `index` names along `dim` (torch's scatter_add_: out[..., index[i...], ...] += src[i...]).
template <typename T>
void scatter_add_loop(T* out, const Shape& shape, int64_t dim, const int64_t* index, const T* src, const Shape& ishape) {
  const int64_t nd = int64_t(ishape.size());
  const Shape ost = contiguous_strides(shape);
  std::vector<int64_t> idx(size_t(nd), 0);
  const int64_t n = shape_numel(ishape);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (int64_t d = 0; d < nd; ++d) off += (d == dim ? index[i] : idx[size_t(d)]) * ost[size_t(d)];
    out[off] += src[i];
    for (int64_t d = nd - 1; d >= 0; --d) {
      if (++idx[size_t(d)] < ishape[size_t(d)]) break;
      idx[size_t(d)] = 0;
    }
  }
}

Tensor scatter_add(Device device, const Shape& shape, DType dt, int64_t dim, const Tensor& index, const Tensor& src) {
  const DType acc = accumulate_dtype(dt);
  Tensor out = autograd::zeros_on(device, shape, acc);
  const Tensor ix = index.to(DType::Int64).contiguous();
  const Tensor s = src.to(acc).contiguous();
  if (acc == DType::Float64)
    scatter_add_loop(out.data<double>(), shape, dim, ix.data<int64_t>(), s.data<double>(), ix.sizes());
  else
    scatter_add_loop(out.data<float>(), shape, dim, ix.data<int64_t>(), s.data<float>(), ix.sizes());
  return out;
}
}  // namespace

// Rows of weight [V, D] picked by ids: each row's gradient is the sum of the gradients of its uses.
void record_embedding(Tensor& out, const Tensor& weight, const Tensor& ids) {
  autograd::record("EmbeddingBackward0", out, {&weight, nullptr},
                   [shape = weight.sizes(), dt = weight.dtype(), dev = weight.device(), ids = ids.detach()](const Tensor& g) {
                     const int64_t d = shape.back(), n = ids.numel();
                     // As a gather along dim 0 of [V, D] with the index broadcast over D.
                     const Tensor index = ids.reshape({n, 1}).expand({n, d});
                     return Grads{scatter_add(dev, shape, dt, 0, index, g.reshape({n, d})), Tensor()};
                   });
}

void record_index_select(Tensor& out, const Tensor& t, int64_t dim, const Tensor& index) {
  autograd::record("IndexSelectBackward0", out, {&t, nullptr},
                   [shape = t.sizes(), dt = t.dtype(), dev = t.device(), dim = wrap_dim(dim, t.dim()),
                    index = index.detach()](const Tensor& g) {
                     // index_select == gather with the index broadcast over the other dims.
                     Shape view(g.sizes().size(), 1);
                     view[size_t(dim)] = index.numel();
                     const Tensor ix = index.reshape(view).expand(g.sizes());
                     return Grads{scatter_add(dev, shape, dt, dim, ix, g), Tensor()};
                   });
}

void record_gather(Tensor& out, const Tensor& t, int64_t dim, const Tensor& index) {
  autograd::record("GatherBackward0", out, {&t, nullptr},
                   [shape = t.sizes(), dt = t.dtype(), dev = t.device(), dim = wrap_dim(dim, t.dim()),
                    index = index.detach()](const Tensor& g) {
                     return Grads{scatter_add(dev, shape, dt, dim, index, g), Tensor()};
                   });
}

void record_cat(Tensor& out, const std::vector<Tensor>& tensors, int64_t dim) {
  std::vector<const Tensor*> inputs;
  std::vector<int64_t> sizes;
  const int64_t d = wrap_dim(dim, out.dim());
  for (const Tensor& t : tensors) {
    inputs.push_back(&t);
    sizes.push_back(t.numel() == 0 && t.dim() == 1 ? 0 : t.size(d));  // torch skips legacy empty [0] inputs
  }
  autograd::record("CatBackward0", out, inputs, [d, sizes](const Tensor& g) {
    Grads r;
    int64_t start = 0;
    for (int64_t s : sizes) {
      r.push_back(s == 0 ? Tensor() : g.narrow(d, start, s));
      start += s;
    }
    return r;
  });
}

void record_stack(Tensor& out, const std::vector<Tensor>& tensors, int64_t dim) {
  std::vector<const Tensor*> inputs;
  for (const Tensor& t : tensors) inputs.push_back(&t);
  const int64_t d = wrap_dim(dim, out.dim());
  autograd::record("StackBackward0", out, inputs, [d, n = int64_t(tensors.size())](const Tensor& g) {
    Grads r;
    for (int64_t i = 0; i < n; ++i) r.push_back(g.select(d, i));
    return r;
  });
}

void record_tril(Tensor& out, const Tensor& t, int64_t k) {
  autograd::record("TrilBackward0", out, {&t}, [k](const Tensor& g) { return Grads{tril(g, k)}; });
}

void record_triu(Tensor& out, const Tensor& t, int64_t k) {
  autograd::record("TriuBackward0", out, {&t}, [k](const Tensor& g) { return Grads{triu(g, k)}; });
}

namespace {
// The gradient of a reduction over `dims` (empty: all) broadcast back to the input's shape.
Tensor unreduce(const Tensor& g, const Shape& shape, const Dims& dims, bool keepdim) {
  const int64_t nd = int64_t(shape.size());
  std::vector<int64_t> ds;
  if (dims.empty()) {
    for (int64_t i = 0; i < nd; ++i) ds.push_back(i);
  } else {
    for (int64_t x : dims) ds.push_back(wrap_dim(x, nd));
  }
  std::sort(ds.begin(), ds.end());
  Tensor r = g;
  if (!keepdim)
    for (int64_t x : ds) r = r.unsqueeze(x);
  return r.expand(shape);
}

int64_t reduced_count(const Shape& shape, const Dims& dims) {
  if (dims.empty()) return shape_numel(shape);
  int64_t n = 1;
  for (int64_t x : dims) n *= shape[size_t(wrap_dim(x, int64_t(shape.size())))];
  return n;
}
}  // namespace

void record_sum(Tensor& out, const Tensor& t, Dims dims, bool keepdim) {
  autograd::record("SumBackward1", out, {&t}, [shape = t.sizes(), dims, keepdim](const Tensor& g) {
    return Grads{unreduce(g, shape, dims, keepdim)};
  });
}

void record_mean(Tensor& out, const Tensor& t, Dims dims, bool keepdim) {
  autograd::record("MeanBackward1", out, {&t}, [shape = t.sizes(), dims, keepdim](const Tensor& g) {
    const int64_t n = reduced_count(shape, dims);
    return Grads{unreduce(div(g, double(std::max<int64_t>(n, 1))), shape, dims, keepdim)};
  });
}

// rotate_half(x) = cat(-x2, x1); its transpose is -rotate_half.
void record_rotate_half(Tensor& out, const Tensor& x) {
  autograd::record("RotateHalfBackward0", out, {&x}, [](const Tensor& g) { return Grads{neg(rotate_half(g))}; });
}

// y = x cos + rotate_half(x) sin.
void record_apply_rotary_pos_emb(Tensor& out, const Tensor& x, const Tensor& cos, const Tensor& sin) {
  const auto need = grad::needs({&x, &cos, &sin});
  autograd::record("ApplyRotaryBackward0", out, {&x, &cos, &sin},
                   [=, x = x.detach(), c = cos.detach(), s = sin.detach()](const Tensor& g) {
                     // cos/sin may be [B, S, D] for x [B, H, S, D]: insert the head dim to broadcast
                     const auto lift = [](const Tensor& t) { return t.dim() == 3 ? t.unsqueeze(1) : t; };
                     Tensor gx, gc, gs;
                     if (need[0]) gx = sub(mul(g, lift(c)), rotate_half(mul(g, lift(s))));
                     if (need[1]) gc = grad::reduce_to(mul(g, x), lift(c).sizes()).reshape(c.sizes());
                     if (need[2]) gs = grad::reduce_to(mul(g, rotate_half(x)), lift(s).sizes()).reshape(s.sizes());
                     return Grads{gx, gc, gs};
                   });
}

}  // namespace transformers::ops
