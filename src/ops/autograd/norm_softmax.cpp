// Backward of layer_norm, rms_norm, softmax and log_softmax. The normalisations recompute their
// row statistics from the saved input in float64 (nothing but x is saved) and give the input,
// weight and bias gradients in one pass over the rows.
#include <cmath>

#include "ops/autograd/grad_utils.hpp"
#include "ops/dispatch.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/reduce.hpp"

namespace transformers::ops {

using grad::f64;
using grad::Grads;

namespace {
// Per row of d elements: xhat = (x - mean) * rstd (layer_norm) or x * rstd (rms_norm, centred=false),
// y = xhat * w (+ b). Returns {gx, gw, gb} in float64.
Grads norm_backward(const Tensor& g, const Tensor& x, const Tensor& weight, double eps, bool centred) {
  const int64_t d = x.size(-1), nrows = d ? x.numel() / d : 0;
  const Tensor gd = f64(g), xd = f64(x), wd = weight.defined() ? f64(weight) : Tensor();
  Tensor gx = autograd::zeros_on(x.device(), x.sizes(), DType::Float64);
  Tensor gw = autograd::zeros_on(x.device(), {d}, DType::Float64);
  Tensor gb = autograd::zeros_on(x.device(), {d}, DType::Float64);
  const double* pg = gd.data<double>();
  const double* px = xd.data<double>();
  const double* pw = wd.defined() ? wd.data<double>() : nullptr;
  double *pgx = gx.data<double>(), *pgw = gw.data<double>(), *pgb = gb.data<double>();
  std::vector<double> xhat(static_cast<size_t>(d)), gxhat(static_cast<size_t>(d));
  for (int64_t r = 0; r < nrows; ++r) {
    const double* row = px + r * d;
    const double* grow = pg + r * d;
    double mean = 0, sq = 0;
    if (centred) {
      for (int64_t j = 0; j < d; ++j) mean += row[j];
      mean /= double(d);
    }
    for (int64_t j = 0; j < d; ++j) sq += (row[j] - mean) * (row[j] - mean);
    const double rstd = 1.0 / std::sqrt(sq / double(d) + eps);
    double m1 = 0, m2 = 0;  // means of gxhat and gxhat * xhat over the row
    for (int64_t j = 0; j < d; ++j) {
      xhat[size_t(j)] = (row[j] - mean) * rstd;
      gxhat[size_t(j)] = grow[j] * (pw ? pw[j] : 1.0);
      m1 += gxhat[size_t(j)];
      m2 += gxhat[size_t(j)] * xhat[size_t(j)];
      pgw[j] += grow[j] * xhat[size_t(j)];
      pgb[j] += grow[j];
    }
    m1 /= double(d);
    m2 /= double(d);
    for (int64_t j = 0; j < d; ++j)
      pgx[r * d + j] = rstd * (gxhat[size_t(j)] - (centred ? m1 : 0.0) - xhat[size_t(j)] * m2);
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

// y = log_softmax(x): dx = g - exp(y) * sum(g).
void record_log_softmax(Tensor& out, const Tensor& t, int64_t dim, std::optional<DType>) {
  autograd::record("LogSoftmaxBackward0", out, {&t}, [dim, y = out.detach()](const Tensor& g) {
    return Grads{sub(g, mul(exp(y), sum(g, {dim}, /*keepdim=*/true)))};
  });
}

}  // namespace transformers::ops
