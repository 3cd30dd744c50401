// Reference normalisations and softmax: rows along the last (or chosen) dim, float64 throughout.
#include <cmath>
#include <limits>
#include <string>

#include "ops/reference/kernels.hpp"
#include "transformers/ops/elementwise.hpp"

namespace transformers::ops::reference {

namespace {
void check_param(const Tensor& p, int64_t d, const char* op, const char* name) {
  if (p.defined() && (p.dim() != 1 || p.size(0) != d))
    throw ShapeError(std::string(op) + ": " + name + " must have shape [" + std::to_string(d) + "], found " +
                     shape_str(p.sizes()));
}

int64_t last_dim(const Tensor& x, const char* op) {
  detail::check_float_dtype(x, op);
  if (x.dim() == 0)
    throw ShapeError(std::string(op) + ": expected an input with at least one dim, found a 0-dim tensor");
  return x.size(-1);
}
}  // namespace

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  const int64_t d = last_dim(x, "layer_norm");
  check_param(weight, d, "layer_norm", "weight");
  check_param(bias, d, "layer_norm", "bias");
  const Tensor xs = to_f64(x);
  const Tensor w = weight.defined() ? to_f64(weight) : Tensor(), b = bias.defined() ? to_f64(bias) : Tensor();
  Tensor out = empty_f64(x.sizes());
  const double* px = xs.data<double>();
  double* po = out.data<double>();
  for (int64_t r = 0; d && r < x.numel() / d; ++r) {
    const double* row = px + r * d;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < d; ++j) mean += row[j];
    mean /= double(d);
    for (int64_t j = 0; j < d; ++j) var += (row[j] - mean) * (row[j] - mean);
    const double rstd = 1.0 / std::sqrt(var / double(d) + eps);
    for (int64_t j = 0; j < d; ++j) {
      double y = (row[j] - mean) * rstd;
      if (w.defined()) y *= w.data<double>()[j];
      if (b.defined()) y += b.data<double>()[j];
      po[r * d + j] = y;
    }
  }
  return out.to(x.dtype());
}

// LlamaRMSNorm: h = x * rsqrt(mean(x^2) + eps), rounded to x's dtype, then weight * h in the
// promoted dtype of weight and x.
Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps) {
  const int64_t d = last_dim(x, "rms_norm");
  check_param(weight, d, "rms_norm", "weight");
  const Tensor xs = to_f64(x);
  Tensor h = empty_f64(x.sizes());
  const double* px = xs.data<double>();
  double* ph = h.data<double>();
  for (int64_t r = 0; d && r < x.numel() / d; ++r) {
    double ss = 0;
    for (int64_t j = 0; j < d; ++j) ss += px[r * d + j] * px[r * d + j];
    const double rs = 1.0 / std::sqrt(ss / double(d) + eps);
    for (int64_t j = 0; j < d; ++j) ph[r * d + j] = px[r * d + j] * rs;
  }
  Tensor hx = h.to(x.dtype());
  if (!weight.defined()) return hx;
  return mul(weight, hx);  // hx lives on the reference device, so this product runs here too
}

namespace {
Tensor softmax_rows(const Tensor& t, int64_t dim, std::optional<DType> dtype, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  const Tensor in = dtype ? t.to(*dtype) : t;
  detail::check_float_dtype(in, op);
  const int64_t d = wrap_dim(dim, in.dim());
  const bool moved = in.dim() > 0 && d != in.dim() - 1;
  const Tensor rows = to_f64(moved ? in.transpose(d, -1) : in);
  const int64_t n = in.dim() == 0 ? 1 : in.size(d);
  Tensor out = empty_f64(rows.sizes());
  const double* px = rows.data<double>();
  double* po = out.data<double>();
  for (int64_t r = 0; n && r < rows.numel() / n; ++r) {
    const double* x = px + r * n;
    double* o = po + r * n;
    double m = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < n; ++j)
      if (x[j] > m || std::isnan(x[j])) m = x[j];
    double z = 0;
    for (int64_t j = 0; j < n; ++j) z += std::exp(x[j] - m);
    for (int64_t j = 0; j < n; ++j) o[j] = log ? x[j] - m - std::log(z) : std::exp(x[j] - m) / z;
  }
  const Tensor r = moved ? out.transpose(d, -1) : out;
  return r.to(in.dtype()).contiguous();
}
}  // namespace

Tensor softmax(const Tensor& t, int64_t dim, std::optional<DType> dtype) { return softmax_rows(t, dim, dtype, false); }
Tensor log_softmax(const Tensor& t, int64_t dim, std::optional<DType> dtype) {
  return softmax_rows(t, dim, dtype, true);
}

}  // namespace transformers::ops::reference
