// layer_norm and rms_norm over the last dim, one contiguous row per task.
#include "transformers/ops/norm.hpp"

#include <cmath>
#include <vector>

#include "ops/cpu/common.hpp"
#include "ops/cpu/kernels.hpp"
#include "ops/cpu/half_ops.hpp"
#include "transformers/ops/elementwise.hpp"

namespace transformers::ops::cpu {

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

namespace {
bool is_half(DType d) { return d == DType::BFloat16 || d == DType::Float16; }
// Rows per parallel task: about 4096 elements, so a decode step's single rows run inline.
int64_t row_grain(int64_t d) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(d, 1)); }

// 16-bit input: each row widened into a float32 scratch row, normalised with the same float32 math
// as the float32 path, rounded once; weight and bias widened once per call. Same bits as casting
// the input to float32 first, without the float32 copies of input and output.
Tensor layer_norm_half(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps, int64_t d) {
  const DType dt = x.dtype();
  const Tensor xc = x.contiguous();
  std::vector<float> wb(size_t(2 * d));
  float* pw = weight.defined() ? wb.data() : nullptr;
  float* pb = bias.defined() ? wb.data() + d : nullptr;
  if (pw) convert_contiguous(weight.contiguous().data_ptr(), weight.dtype(), pw, DType::Float32, d);
  if (pb) convert_contiguous(bias.contiguous().data_ptr(), bias.dtype(), pb, DType::Float32, d);
  Tensor out = Tensor::empty(x.sizes(), dt);
  const uint16_t* px = static_cast<const uint16_t*>(xc.data_ptr());
  uint16_t* po = static_cast<uint16_t*>(out.data_ptr());
  const int64_t rows = d ? x.numel() / d : 0;
  parallel_for(0, rows, row_grain(d), [&](int64_t r0, int64_t r1) {
    std::vector<float> row(static_cast<size_t>(d));
    for (int64_t r = r0; r < r1; ++r) {
      detail::half_to_float(px + r * d, dt, row.data(), d);
      const double mean = lane_sum(row.data(), d) / double(d);
      const double v = lane_sq_sum(row.data(), d, mean) / double(d);
      const float rstd = float(1.0 / std::sqrt(v + eps));
      const float m = float(mean);
      for (int64_t j = 0; j < d; ++j) {
        float y = (row[size_t(j)] - m) * rstd;
        if (pw) y *= pw[j];
        if (pb) y += pb[j];
        row[size_t(j)] = y;
      }
      detail::float_to_half(row.data(), dt, po + r * d, d);
    }
  });
  return out;
}

// 16-bit LlamaRMSNorm: h = round(x * rsqrt(mean(x^2) + eps)) in the input dtype, then
// round(weight * h) (weight of the same dtype; PyTorch multiplies in float32 and rounds).
Tensor rms_norm_half(const Tensor& x, const Tensor& weight, double eps, int64_t d) {
  const DType dt = x.dtype();
  const Tensor xc = x.contiguous();
  std::vector<float> wf(static_cast<size_t>(d));
  if (weight.defined()) convert_contiguous(weight.contiguous().data_ptr(), dt, wf.data(), DType::Float32, d);
  Tensor out = Tensor::empty(x.sizes(), dt);
  const uint16_t* px = static_cast<const uint16_t*>(xc.data_ptr());
  uint16_t* po = static_cast<uint16_t*>(out.data_ptr());
  const int64_t rows = d ? x.numel() / d : 0;
  const bool has_w = weight.defined();
  parallel_for(0, rows, row_grain(d), [&](int64_t r0, int64_t r1) {
    std::vector<float> row(static_cast<size_t>(d));
    for (int64_t r = r0; r < r1; ++r) {
      detail::half_to_float(px + r * d, dt, row.data(), d);
      const double ss = lane_sq_sum(row.data(), d, 0.0);
      const float var = float(ss / double(d));
      const float rs = 1.0f / std::sqrt(var + float(eps));
      for (int64_t j = 0; j < d; ++j) row[size_t(j)] *= rs;
      if (has_w) {
        detail::round_to_half(row.data(), dt, d);
        for (int64_t j = 0; j < d; ++j) row[size_t(j)] = wf[size_t(j)] * row[size_t(j)];
      }
      detail::float_to_half(row.data(), dt, po + r * d, d);
    }
  });
  return out;
}
}  // namespace

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  detail::check_defined(x, "layer_norm", "input");
  detail::check_float_dtype(x, "layer_norm");
  if (x.dim() == 0) throw ShapeError("layer_norm: expected an input with at least one dim, found a 0-dim tensor");
  const int64_t d = x.size(-1);
  check_param(weight, d, "layer_norm", "weight");
  check_param(bias, d, "layer_norm", "bias");
  if (is_half(x.dtype()) && x.device() == Device::CPU) return layer_norm_half(x, weight, bias, eps, d);
  const DType c = detail::opmath_dtype(x.dtype());
  const Tensor xc = x.contiguous().to(c);
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
  return out.to(x.dtype());
}

Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps) {
  detail::check_defined(x, "rms_norm", "input");
  detail::check_float_dtype(x, "rms_norm");
  if (x.dim() == 0) throw ShapeError("rms_norm: expected an input with at least one dim, found a 0-dim tensor");
  const int64_t d = x.size(-1);
  check_param(weight, d, "rms_norm", "weight");
  if (is_half(x.dtype()) && x.device() == Device::CPU && (!weight.defined() || weight.dtype() == x.dtype()))
    return rms_norm_half(x, weight, eps, d);
  // LlamaRMSNorm: float32 math (float64 stays float64), result cast back to the input dtype.
  const DType c = x.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
  const Tensor xc = x.contiguous().to(c);
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
  Tensor hx = h.to(x.dtype());
  if (!weight.defined()) return hx;
  return mul(weight, hx);
}

}  // namespace transformers::ops::cpu
