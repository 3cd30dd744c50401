// layer_norm and rms_norm over the last dim, one contiguous row per task.
#include "transformers/ops/norm.hpp"

#include <cmath>

#include "ops/cpu/common.hpp"
#include "transformers/ops/elementwise.hpp"

namespace transformers::ops {

namespace {
// Sums of a row (and of squared deviations from `center`) in 8 independent double lanes, so the
// compiler vectorises the loop and no single dependency chain limits it; exact enough in double.
template <typename C>
double lane_sum(const C* r, int64_t n) {
  double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; ++l) part[l] += double(r[j + l]);
  double s = 0;
  for (int l = 0; l < 8; ++l) s += part[l];
  for (; j < n; ++j) s += double(r[j]);
  return s;
}
template <typename C>
double lane_sq_sum(const C* r, int64_t n, double center) {
  double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; ++l) {
      const double d = double(r[j + l]) - center;
      part[l] += d * d;
    }
  double s = 0;
  for (int l = 0; l < 8; ++l) s += part[l];
  for (; j < n; ++j) s += (double(r[j]) - center) * (double(r[j]) - center);
  return s;
}

void check_param(const Tensor& p, int64_t d, const char* op, const char* name) {
  if (!p.defined()) return;
  if (p.dim() != 1 || p.size(0) != d)
    throw ShapeError(std::string(op) + ": " + name + " must have shape [" + std::to_string(d) + "] (the last dim of "
                     "the input), found " + shape_str(p.sizes()));
}
}  // namespace

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  detail::check_defined(x, "layer_norm", "input");
  detail::check_float_dtype(x, "layer_norm");
  if (x.dim() == 0) throw ShapeError("layer_norm: expected an input with at least one dim, found a 0-dim tensor");
  const int64_t d = x.size(-1);
  check_param(weight, d, "layer_norm", "weight");
  check_param(bias, d, "layer_norm", "bias");
  const DType c = detail::opmath_dtype(x.dtype());
  const Tensor xc = detail::cast(x.contiguous(), c);
  const Tensor w = weight.defined() ? weight.to(c).contiguous() : Tensor();
  const Tensor b = bias.defined() ? bias.to(c).contiguous() : Tensor();
  Tensor out = Tensor::empty(x.sizes(), c);
  const int64_t rows = d ? x.numel() / d : 0;
  auto run = [&](auto tag) {
    using C = decltype(tag);
    const C* px = static_cast<const C*>(xc.data_ptr());
    const C* pw = w.defined() ? static_cast<const C*>(w.data_ptr()) : nullptr;
    const C* pb = b.defined() ? static_cast<const C*>(b.data_ptr()) : nullptr;
    C* po = static_cast<C*>(out.data_ptr());
    parallel_for(0, rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(d, 1)), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const C* row = px + r * d;
        C* o = po + r * d;
        const double mean = lane_sum(row, d) / double(d);
        const double v = lane_sq_sum(row, d, mean) / double(d);
        const C rstd = C(1.0 / std::sqrt(v + eps));
        const C m = C(mean);
        for (int64_t j = 0; j < d; ++j) {
          C y = (row[j] - m) * rstd;
          if (pw) y *= pw[j];
          if (pb) y += pb[j];
          o[j] = y;
        }
      }
    });
  };
  if (c == DType::Float32) run(float{}); else run(double{});
  return detail::cast(out, x.dtype());
}

Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps) {
  detail::check_defined(x, "rms_norm", "input");
  detail::check_float_dtype(x, "rms_norm");
  if (x.dim() == 0) throw ShapeError("rms_norm: expected an input with at least one dim, found a 0-dim tensor");
  const int64_t d = x.size(-1);
  check_param(weight, d, "rms_norm", "weight");
  // LlamaRMSNorm: float32 math (float64 stays float64), result cast back to the input dtype.
  const DType c = x.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
  const Tensor xc = detail::cast(x.contiguous(), c);
  Tensor h = Tensor::empty(x.sizes(), c);
  const int64_t rows = d ? x.numel() / d : 0;
  auto run = [&](auto tag) {
    using C = decltype(tag);
    const C* px = static_cast<const C*>(xc.data_ptr());
    C* po = static_cast<C*>(h.data_ptr());
    parallel_for(0, rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(d, 1)), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const C* row = px + r * d;
        const double ss = lane_sq_sum(row, d, 0.0);
        const C var = C(ss / double(d));
        const C rs = C(1) / std::sqrt(var + C(eps));
        for (int64_t j = 0; j < d; ++j) po[r * d + j] = row[j] * rs;
      }
    });
  };
  if (c == DType::Float32) run(float{}); else run(double{});
  Tensor hx = detail::cast(h, x.dtype());
  if (!weight.defined()) return hx;
  return mul(weight, hx);
}

}  // namespace transformers::ops
