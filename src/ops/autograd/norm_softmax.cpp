// Backward of layer_norm, rms_norm, softmax and log_softmax. The normalisations recompute their
// row statistics from the saved input in float64 (nothing but x is saved) and give the input,
// weight and bias gradients in one pass over the rows.
#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/autograd/grad_utils.hpp"
#include "ops/dispatch.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/reduce.hpp"

namespace transformers::ops {

using grad::f64;
using grad::Grads;

namespace {
// Per row of d elements: xhat = (x - mean) * rstd (layer_norm) or x * rstd (rms_norm, centred=false),
// y = xhat * w (+ b). Rows are independent for gx; gw and gb sum over rows, so rows go in fixed
// blocks (whatever the thread count), each block summing its own partial gw / gb, and the
// partials are added in block order. T: the element type read (float32 / float64, contiguous).
template <typename T>
void norm_rows(const T* pg, const T* px, const double* pw, double* pgx, double* gw_part, double* gb_part, int64_t r0,
               int64_t r1, int64_t d, double eps, bool centred) {
  std::vector<double> xhat(static_cast<size_t>(d)), gxhat(static_cast<size_t>(d));
  for (int64_t r = r0; r < r1; ++r) {
    const T* row = px + r * d;
    const T* grow = pg + r * d;
    double mean = 0, sq = 0;
    if (centred) {
      for (int64_t j = 0; j < d; ++j) mean += double(row[j]);
      mean /= double(d);
    }
    for (int64_t j = 0; j < d; ++j) sq += (double(row[j]) - mean) * (double(row[j]) - mean);
    const double rstd = 1.0 / std::sqrt(sq / double(d) + eps);
    double m1 = 0, m2 = 0;  // means of gxhat and gxhat * xhat over the row
    for (int64_t j = 0; j < d; ++j) {
      const double gj = double(grow[j]);
      xhat[size_t(j)] = (double(row[j]) - mean) * rstd;
      gxhat[size_t(j)] = gj * (pw ? pw[j] : 1.0);
      m1 += gxhat[size_t(j)];
      m2 += gxhat[size_t(j)] * xhat[size_t(j)];
      gw_part[j] += gj * xhat[size_t(j)];
      gb_part[j] += gj;
    }
    m1 /= double(d);
    m2 /= double(d);
    for (int64_t j = 0; j < d; ++j)
      pgx[r * d + j] = rstd * (gxhat[size_t(j)] - (centred ? m1 : 0.0) - xhat[size_t(j)] * m2);
  }
}

// Returns {gx, gw, gb} in float64.
Grads norm_backward(const Tensor& g, const Tensor& x, const Tensor& weight, double eps, bool centred) {
  const int64_t d = x.size(-1), nrows = d ? x.numel() / d : 0;
  // float32 operands of one dtype are read in place; anything else through float64 copies
  const bool f32 = g.dtype() == DType::Float32 && x.dtype() == DType::Float32;
  const Tensor gd = f32 ? g.contiguous() : f64(g), xd = f32 ? x.contiguous() : f64(x);
  const Tensor wd = weight.defined() ? f64(weight) : Tensor();
  Tensor gx = autograd::zeros_on(x.device(), x.sizes(), DType::Float64);
  Tensor gw = autograd::zeros_on(x.device(), {d}, DType::Float64);
  Tensor gb = autograd::zeros_on(x.device(), {d}, DType::Float64);
  const double* pw = wd.defined() ? wd.data<double>() : nullptr;
  double *pgx = gx.data<double>(), *pgw = gw.data<double>(), *pgb = gb.data<double>();
  constexpr int64_t kRowsPerBlock = 32;
  const int64_t nblocks = (nrows + kRowsPerBlock - 1) / kRowsPerBlock;
  std::vector<double> parts(size_t(nblocks * 2 * d), 0.0);
  parallel_for(0, nblocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t r0 = b * kRowsPerBlock, r1 = std::min(nrows, r0 + kRowsPerBlock);
      double* gw_part = parts.data() + b * 2 * d;
      if (f32)
        norm_rows(gd.data<float>(), xd.data<float>(), pw, pgx, gw_part, gw_part + d, r0, r1, d, eps, centred);
      else
        norm_rows(gd.data<double>(), xd.data<double>(), pw, pgx, gw_part, gw_part + d, r0, r1, d, eps, centred);
    }
  });
  for (int64_t b = 0; b < nblocks; ++b)
    for (int64_t j = 0; j < d; ++j) {
      pgw[j] += parts[size_t(b * 2 * d + j)];
      pgb[j] += parts[size_t(b * 2 * d + d + j)];
    }
  return {gx, gw, gb};
}
}  // namespace

void record_layer_norm(Tensor& out, const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  autograd::record("NativeLayerNormBackward0", out, {&x, &weight, &bias},
                   [=, x = x.detach(), w = weight.detach()](const Tensor& g) {
                     Grads r = norm_backward(g, x, w, eps, /*centred=*/true);
                     if (!w.defined()) r[1] = Tensor();
                     return r;
                   });
}

void record_rms_norm(Tensor& out, const Tensor& x, const Tensor& weight, double eps) {
  autograd::record("RmsNormBackward0", out, {&x, &weight}, [=, x = x.detach(), w = weight.detach()](const Tensor& g) {
    Grads r = norm_backward(g, x, w, eps, /*centred=*/false);
    return Grads{r[0], w.defined() ? r[1] : Tensor()};
  });
}

// y = softmax(x): dx = y * (g - sum(g * y)).
void record_softmax(Tensor& out, const Tensor& t, int64_t dim, std::optional<DType>) {
  autograd::record("SoftmaxBackward0", out, {&t}, [dim, y = out.detach()](const Tensor& g) {
    const Tensor gy = mul(g, y);
    return Grads{sub(gy, mul(y, sum(gy, {dim}, /*keepdim=*/true)))};
  });
}

namespace {
// dx = g - exp(y) * rowsum(g) for float32 rows along the last dim (cross-entropy's log_softmax over
// the vocabulary: [tokens, 30-50 k] float32 under autocast too): the same operations and roundings
// as the composed formula (the row sum in float64 rounded to float32, then the product and the
// difference in float32), written into the exp(y) tensor in place; the composed one made three
// vocabulary-sized temporaries per step, fresh pages each. Undefined when the layout differs.
Tensor log_softmax_backward_rows(const Tensor& g, const Tensor& y, int64_t dim) {
  if (g.dtype() != DType::Float32 || y.dtype() != DType::Float32 || g.sizes() != y.sizes() || g.dim() == 0 ||
      wrap_dim(dim, g.dim()) != g.dim() - 1 || !g.is_contiguous())
    return Tensor();
  Tensor e = exp(y);
  if (!e.is_contiguous() || e.dtype() != DType::Float32) return Tensor();
  const int64_t cols = g.size(-1), rows = cols ? g.numel() / cols : 0;
  const float* pg = g.data<float>();
  float* pe = e.data<float>();
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(cols, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* gr = pg + r * cols;
      float* er = pe + r * cols;
      double acc = 0;
      for (int64_t j = 0; j < cols; ++j) acc += double(gr[j]);
      const float s = float(acc);
      for (int64_t j = 0; j < cols; ++j) {
        const float prod = er[j] * s;
        er[j] = gr[j] - prod;
      }
    }
  });
  return e;
}
}  // namespace

// y = log_softmax(x): dx = g - exp(y) * sum(g).
void record_log_softmax(Tensor& out, const Tensor& t, int64_t dim, std::optional<DType>) {
  autograd::record("LogSoftmaxBackward0", out, {&t}, [dim, y = out.detach()](const Tensor& g) {
    if (Tensor r = log_softmax_backward_rows(g, y, dim); r.defined()) return Grads{r};
    return Grads{sub(g, mul(exp(y), sum(g, {dim}, /*keepdim=*/true)))};
  });
}

}  // namespace transformers::ops
