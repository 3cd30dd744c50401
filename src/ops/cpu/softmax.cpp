// Softmax / log_softmax over one dim, computed per contiguous row in float32 (float64 for float64).
#include "transformers/ops/softmax.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/cpu/common.hpp"
#include "ops/cpu/kernels.hpp"
#include "ops/cpu/vec_math.hpp"

namespace transformers::ops::cpu {

namespace {

template <typename C>
void softmax_row_scalar(C* o, const C* x, int64_t n, bool log) {
  C m = -std::numeric_limits<C>::infinity();
  for (int64_t j = 0; j < n; ++j) m = std::max(m, x[j]);
  for (int64_t j = 0; j < n; ++j)
    if (std::isnan(x[j])) m = x[j];
  if (log) {
    C s = 0;
    for (int64_t j = 0; j < n; ++j) s += std::exp(x[j] - m);
    const C ls = std::log(s);
    for (int64_t j = 0; j < n; ++j) o[j] = x[j] - m - ls;
  } else {
    C s = 0;
    for (int64_t j = 0; j < n; ++j) s += (o[j] = std::exp(x[j] - m));
    const C inv = C(1) / s;
    for (int64_t j = 0; j < n; ++j) o[j] *= inv;
  }
}

Tensor softmax_impl(const Tensor& t, int64_t dim, std::optional<DType> dtype, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  detail::check_defined(t, op, "input");
  Tensor in = dtype ? t.to(*dtype) : t;
  detail::check_float_dtype(in, op);
  const int64_t d = wrap_dim(dim, in.dim());
  const DType c = detail::opmath_dtype(in.dtype());
  Tensor rows = detail::move_dim_last_contiguous(in, d, c);
  const int64_t n = in.dim() == 0 ? 1 : in.size(d);
  const int64_t outer = n ? rows.numel() / n : 0;
  Tensor out = Tensor::empty(rows.sizes(), c);
  const int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(n, 1));
  if (c == DType::Float32) {
    const float* x = rows.data<float>();
    float* o = out.data<float>();
    parallel_for(0, outer, grain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        if (!detail::softmax_row_f32(o + i * n, x + i * n, n, log)) softmax_row_scalar<float>(o + i * n, x + i * n, n, log);
      }
    });
  } else {
    const double* x = rows.data<double>();
    double* o = out.data<double>();
    parallel_for(0, outer, grain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) softmax_row_scalar<double>(o + i * n, x + i * n, n, log);
    });
  }
  Tensor r = (in.dim() == 0 || d == in.dim() - 1) ? out : out.transpose(d, -1);
  return r.to(in.dtype()).contiguous();
}

}  // namespace

Tensor softmax(const Tensor& t, int64_t dim, std::optional<DType> dtype) { return softmax_impl(t, dim, dtype, false); }
Tensor log_softmax(const Tensor& t, int64_t dim, std::optional<DType> dtype) { return softmax_impl(t, dim, dtype, true); }

}  // namespace transformers::ops::cpu
