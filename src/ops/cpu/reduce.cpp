// Reductions: the reduced dims are moved last and made contiguous in the accumulation type, then
// every output element reduces one contiguous row.
#include "transformers/ops/reduce.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "ops/cpu/common.hpp"
#include "ops/cpu/kernels.hpp"

namespace transformers::ops::cpu {

namespace {

struct Plan {
  Tensor rows;      // [outer, inner] contiguous, dtype = accumulation dtype
  Shape out_shape;  // with or without kept dims
  int64_t outer = 1, inner = 1;
};

std::vector<bool> reduced_mask(const Tensor& t, std::vector<int64_t> dims, const char* op) {
  std::vector<bool> red(size_t(t.dim()), dims.empty());
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(d, t.dim());
    if (t.dim() == 0) continue;
    if (red[size_t(w)] && !dims.empty())
      throw ValueError(std::string(op) + ": dim " + std::to_string(d) + " appears multiple times in the list of dims");
    red[size_t(w)] = true;
  }
  return red;
}

Plan make_plan(const Tensor& t, const std::vector<int64_t>& dims, bool keepdim, DType acc, const char* op) {
  detail::check_defined(t, op, "input");
  const std::vector<bool> red = reduced_mask(t, dims, op);
  std::vector<int64_t> perm;
  Plan p;
  for (int64_t d = 0; d < t.dim(); ++d)
    if (!red[size_t(d)]) {
      perm.push_back(d);
      p.outer *= t.size(d);
      p.out_shape.push_back(t.size(d));
    } else if (keepdim) {
      p.out_shape.push_back(1);
    }
  if (keepdim) {
    // out_shape must be in the original order with 1s at reduced dims
    p.out_shape.clear();
    for (int64_t d = 0; d < t.dim(); ++d) p.out_shape.push_back(red[size_t(d)] ? 1 : t.size(d));
  }
  for (int64_t d = 0; d < t.dim(); ++d)
    if (red[size_t(d)]) {
      perm.push_back(d);
      p.inner *= t.size(d);
    }
  p.rows = (t.dim() == 0 ? t : t.permute(perm)).to(acc).contiguous();
  return p;
}

DType sum_out_dtype(DType d) { return is_floating_point(d) ? d : DType::Int64; }

// sum of a contiguous float32 / float64 tensor over a leading run of dims (a bias gradient: the
// rows of [tokens, features] summed per feature) or a trailing run (softmax's backward: each row
// summed). Same float64 accumulation, in the same element order, as the general path, without its
// float64 copy of the whole input: leading runs feed a row of float64 accumulators row by row,
// trailing runs sum each row in place. Undefined for any other pattern. bf16 (an autocast bias
// gradient) is read in place too; its float64 sums are rounded to bf16 by the same final .to as the
// general path's.
Tensor sum_fast(const Tensor& t, const std::vector<bool>& red, const Shape& out_shape) {
  const DType dt = t.dtype();
  if ((dt != DType::Float32 && dt != DType::Float64 && dt != DType::BFloat16) || !t.is_contiguous() || t.dim() < 2)
    return Tensor();
  const int64_t nd = t.dim();
  int64_t lead = 0, trail = 0;
  while (lead < nd && red[size_t(lead)]) ++lead;
  while (trail < nd && red[size_t(nd - 1 - trail)]) ++trail;
  int64_t nred = 0;
  for (bool r : red) nred += r;
  const bool leading = lead > 0 && lead == nred && lead < nd, trailing = !leading && trail > 0 && trail == nred && trail < nd;
  if (!leading && !trailing) return Tensor();
  const int64_t split = leading ? lead : nd - trail;
  int64_t rows = 1, cols = 1;
  for (int64_t d = 0; d < nd; ++d) (d < split ? rows : cols) *= t.size(d);
  Tensor out = Tensor::empty(out_shape, dt == DType::BFloat16 ? DType::Float64 : dt);
  const auto run = [&](const auto* x, auto* o) {
    using T = std::remove_reference_t<decltype(*o)>;
    const auto val = [](auto v) {
      if constexpr (std::is_same_v<decltype(v), uint16_t>) return double(bf16_to_float(v));
      else return double(v);
    };
    if (leading) {
      parallel_for(0, cols, std::max<int64_t>(16, 16384 / std::max<int64_t>(rows, 1)), [&](int64_t c0, int64_t c1) {
        std::vector<double> acc(size_t(c1 - c0), 0.0);
        for (int64_t i = 0; i < rows; ++i) {
          const auto* row = x + i * cols + c0;
          for (int64_t j = 0; j < c1 - c0; ++j) acc[size_t(j)] += val(row[j]);
        }
        for (int64_t j = c0; j < c1; ++j) o[j] = T(acc[size_t(j - c0)]);
      });
    } else {
      parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(cols, 1)), [&](int64_t r0, int64_t r1) {
        for (int64_t i = r0; i < r1; ++i) {
          double acc = 0;
          for (int64_t j = 0; j < cols; ++j) acc += val(x[i * cols + j]);
          o[i] = T(acc);
        }
      });
    }
  };
  if (dt == DType::Float32) run(t.data<float>(), out.data<float>());
  else if (dt == DType::Float64) run(t.data<double>(), out.data<double>());
  else run(static_cast<const uint16_t*>(t.data_ptr()), out.data<double>());
  return out.to(dt);
}

}  // namespace

Tensor sum(const Tensor& t, std::vector<int64_t> dims, bool keepdim) {
  detail::check_defined(t, "sum", "input");
  const DType out_dt = sum_out_dtype(t.dtype());
  const DType acc = out_dt == DType::Int64 ? DType::Int64 : DType::Float64;
  if (t.dim() >= 2 && t.numel() > 0) {
    const std::vector<bool> red = reduced_mask(t, dims, "sum");
    Shape osh;
    for (int64_t d = 0; d < t.dim(); ++d)
      if (!red[size_t(d)] || keepdim) osh.push_back(red[size_t(d)] ? 1 : t.size(d));
    if (Tensor r = sum_fast(t, red, osh); r.defined()) return r;
  }
  Plan p = make_plan(t, dims, keepdim, acc, "sum");
  Tensor out = Tensor::empty(p.out_shape, acc);
  if (acc == DType::Int64) {
    const int64_t* x = p.rows.data<int64_t>();
    int64_t* o = out.data<int64_t>();
    for (int64_t i = 0; i < p.outer; ++i) {
      int64_t s = 0;
      for (int64_t j = 0; j < p.inner; ++j) s += x[i * p.inner + j];
      o[i] = s;
    }
  } else {
    const double* x = p.rows.data<double>();
    double* o = out.data<double>();
    parallel_for(0, p.outer, std::max<int64_t>(1, 16384 / std::max<int64_t>(p.inner, 1)), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        double s = 0;
        for (int64_t j = 0; j < p.inner; ++j) s += x[i * p.inner + j];
        o[i] = s;
      }
    });
  }
  return out.to(out_dt);
}

Tensor mean(const Tensor& t, std::vector<int64_t> dims, bool keepdim) {
  detail::check_defined(t, "mean", "input");
  if (!t.is_floating_point())
    throw UnsupportedError("mean: expected a floating point input, found " + std::string(dtype_name(t.dtype())) +
                           " (cast it with .to(float32))");
  Plan p = make_plan(t, dims, keepdim, DType::Float64, "mean");
  Tensor out = Tensor::empty(p.out_shape, DType::Float64);
  const double* x = p.rows.data<double>();
  double* o = out.data<double>();
  for (int64_t i = 0; i < p.outer; ++i) {
    double s = 0;
    for (int64_t j = 0; j < p.inner; ++j) s += x[i * p.inner + j];
    o[i] = p.inner ? s / double(p.inner) : std::numeric_limits<double>::quiet_NaN();
  }
  return out.to(t.dtype());
}

namespace {
// values + first index of the max (sign=+1) or min (sign=-1) along dim; NaN wins like torch.
std::pair<Tensor, Tensor> extreme(const Tensor& t, int64_t dim, bool keepdim, bool want_max, const char* op) {
  detail::check_defined(t, op, "input");
  if (t.dtype() == DType::Bool && false) {}
  const int64_t d = wrap_dim(dim, t.dim());
  if (t.dim() > 0 && t.size(d) == 0)
    throw ValueError(std::string(op) + ": cannot reduce over a zero-size dimension " + std::to_string(dim) +
                     " of shape " + shape_str(t.sizes()));
  Plan p = make_plan(t, {d}, keepdim, DType::Float64, op);
  Tensor vals = Tensor::empty(p.out_shape, DType::Float64);
  Tensor idx = Tensor::empty(p.out_shape, DType::Int64);
  const double* x = p.rows.data<double>();
  double* v = vals.data<double>();
  int64_t* ix = idx.data<int64_t>();
  for (int64_t i = 0; i < p.outer; ++i) {
    const double* r = x + i * p.inner;
    int64_t best = 0;
    double bv = r[0];
    if (!std::isnan(bv))
      for (int64_t j = 1; j < p.inner; ++j) {
        if (std::isnan(r[j])) { best = j; bv = r[j]; break; }
        if (want_max ? r[j] > bv : r[j] < bv) { best = j; bv = r[j]; }
      }
    v[i] = bv;
    ix[i] = best;
  }
  // int64 values beyond 2^53 lose precision through double; gather them from the source instead.
  if (t.dtype() == DType::Int64) {
    const Plan pi = make_plan(t, {d}, keepdim, DType::Int64, op);
    Tensor exact = Tensor::empty(p.out_shape, DType::Int64);
    const int64_t* s = pi.rows.data<int64_t>();
    int64_t* e = exact.data<int64_t>();
    for (int64_t i = 0; i < p.outer; ++i) e[i] = s[i * p.inner + ix[i]];
    return {exact, idx};
  }
  return {vals.to(t.dtype()), idx};
}
}  // namespace

std::pair<Tensor, Tensor> max(const Tensor& t, int64_t dim, bool keepdim) { return extreme(t, dim, keepdim, true, "max"); }
std::pair<Tensor, Tensor> min(const Tensor& t, int64_t dim, bool keepdim) { return extreme(t, dim, keepdim, false, "min"); }
Tensor amax(const Tensor& t, int64_t dim, bool keepdim) { return extreme(t, dim, keepdim, true, "amax").first; }
Tensor amin(const Tensor& t, int64_t dim, bool keepdim) { return extreme(t, dim, keepdim, false, "amin").first; }
Tensor argmax(const Tensor& t, int64_t dim, bool keepdim) { return extreme(t, dim, keepdim, true, "argmax").second; }
Tensor argmin(const Tensor& t, int64_t dim, bool keepdim) { return extreme(t, dim, keepdim, false, "argmin").second; }

Tensor var(const Tensor& t, std::vector<int64_t> dims, int64_t correction, bool keepdim) {
  detail::check_defined(t, "var", "input");
  if (!t.is_floating_point())
    throw UnsupportedError("var: expected a floating point input, found " + std::string(dtype_name(t.dtype())));
  Plan p = make_plan(t, dims, keepdim, DType::Float64, "var");
  Tensor out = Tensor::empty(p.out_shape, DType::Float64);
  const double* x = p.rows.data<double>();
  double* o = out.data<double>();
  for (int64_t i = 0; i < p.outer; ++i) {
    const double* r = x + i * p.inner;
    double m = 0;
    for (int64_t j = 0; j < p.inner; ++j) m += r[j];
    m /= double(p.inner);
    double ss = 0;
    for (int64_t j = 0; j < p.inner; ++j) ss += (r[j] - m) * (r[j] - m);
    // torch: the denominator is clamped at 0, so 0/0 = NaN and x/0 = inf
    const double denom = std::max(0.0, double(p.inner - correction));
    o[i] = ss / denom;
  }
  return out.to(t.dtype());
}

Tensor cumsum(const Tensor& t, int64_t dim) {
  detail::check_defined(t, "cumsum", "input");
  const int64_t d = wrap_dim(dim, t.dim());
  const DType out_dt = sum_out_dtype(t.dtype());
  const DType acc = out_dt == DType::Int64 ? DType::Int64 : DType::Float64;
  Tensor rows = detail::move_dim_last_contiguous(t, d, acc);
  const int64_t inner = t.dim() == 0 ? 1 : t.size(d);
  const int64_t outer = inner ? rows.numel() / inner : 0;
  Tensor out = Tensor::empty(rows.sizes(), acc);
  if (acc == DType::Int64) {
    const int64_t* x = rows.data<int64_t>();
    int64_t* o = out.data<int64_t>();
    for (int64_t i = 0; i < outer; ++i) {
      int64_t s = 0;
      for (int64_t j = 0; j < inner; ++j) o[i * inner + j] = (s += x[i * inner + j]);
    }
  } else {
    const double* x = rows.data<double>();
    double* o = out.data<double>();
    for (int64_t i = 0; i < outer; ++i) {
      double s = 0;
      for (int64_t j = 0; j < inner; ++j) o[i * inner + j] = (s += x[i * inner + j]);
    }
  }
  Tensor r = (t.dim() == 0 || d == t.dim() - 1) ? out : out.transpose(d, -1);
  return r.to(out_dt).contiguous();
}

}  // namespace transformers::ops::cpu
