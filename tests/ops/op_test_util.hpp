#pragma once
// Shared helpers for the op tests: random inputs, a double-precision reference array with
// broadcasting, non-contiguous copies, per-dtype tolerances, and a loop over every kernel level.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "transformers/core/cpu_features.hpp"
#include "transformers/core/tensor.hpp"

namespace optest {

using transformers::DType;
using transformers::KernelLevel;
using transformers::Shape;
using transformers::Tensor;

// A plain row-major double array: the reference side of every comparison.
struct Ref {
  Shape shape;
  std::vector<double> v;
  Ref() = default;
  explicit Ref(Shape s) : shape(std::move(s)), v(size_t(transformers::shape_numel(shape)), 0.0) {}
  static Ref of(const Tensor& t) {
    Ref r;
    r.shape = t.sizes();
    r.v = t.to_vector<double>();
    return r;
  }
  int64_t numel() const { return int64_t(v.size()); }
  // Element at a multi-index of a (broadcast) output shape: dims of size 1 read index 0.
  double bcast(const std::vector<int64_t>& idx) const {
    const size_t lead = idx.size() - shape.size();
    int64_t off = 0;
    for (size_t d = 0; d < shape.size(); ++d) off = off * shape[d] + (shape[d] == 1 ? 0 : idx[lead + d]);
    return v[size_t(off)];
  }
};

inline std::vector<int64_t> unravel(int64_t lin, const Shape& s) {
  std::vector<int64_t> idx(s.size());
  for (size_t d = s.size(); d-- > 0;) {
    idx[d] = s[d] ? lin % s[d] : 0;
    if (s[d]) lin /= s[d];
  }
  return idx;
}

inline std::mt19937_64& rng() {
  static std::mt19937_64 g(1234);
  return g;
}

// Uniform values in [lo, hi), rounded to the dtype (so the reference sees exactly the inputs).
inline Tensor random(const Shape& s, DType dt, double lo = -2.0, double hi = 2.0) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(size_t(transformers::shape_numel(s)));
  for (auto& x : v) x = transformers::is_floating_point(dt) ? u(rng()) : std::floor(u(rng()));
  return Tensor::from_vector<double>(v, s).to(dt);
}

// Same values, non-contiguous layout (every other element of a wider buffer, dims reversed in
// memory when rank >= 2).
inline Tensor noncontig(const Tensor& t) {
  if (t.dim() == 0) return t;
  Shape wide = t.sizes();
  std::reverse(wide.begin(), wide.end());
  wide.back() *= 2;
  Tensor big = Tensor::zeros(wide, t.dtype());
  Tensor view = big.slice(-1, 0, std::max<int64_t>(wide.back(), 1), 2);
  std::vector<int64_t> perm(size_t(t.dim()));
  for (int64_t i = 0; i < t.dim(); ++i) perm[size_t(i)] = t.dim() - 1 - i;
  view = view.permute(perm);
  view.copy_(t);
  return view;
}

struct Tol {
  double rtol, atol;
};
// Output rounding dominates: one ulp of the output dtype relative, plus headroom for float32
// accumulation order. float16: eps 2^-10; bfloat16: eps 2^-7; float32: 2^-23; float64: 2^-52.
inline Tol tol_for(DType dt) {
  switch (dt) {
    case DType::Float64: return {1e-12, 1e-12};
    case DType::Float32: return {2e-5, 1e-5};
    case DType::Float16: return {2e-3, 1e-3};
    case DType::BFloat16: return {1.6e-2, 1e-2};
    default: return {0, 0};
  }
}

inline ::testing::AssertionResult close(const Tensor& got, const Ref& want, Tol tol) {
  if (got.sizes() != want.shape)
    return ::testing::AssertionFailure() << "shape " << transformers::shape_str(got.sizes()) << " != expected "
                                         << transformers::shape_str(want.shape);
  const std::vector<double> g = got.to_vector<double>();
  int bad = 0;
  std::string msg;
  for (size_t i = 0; i < g.size(); ++i) {
    const double e = want.v[i], a = g[i];
    bool ok;
    if (std::isnan(e)) ok = std::isnan(a);
    else if (std::isinf(e)) ok = a == e;
    else ok = std::fabs(a - e) <= tol.atol + tol.rtol * std::fabs(e);
    if (!ok && bad++ < 5) msg += " [" + std::to_string(i) + "] got " + std::to_string(a) + " want " + std::to_string(e) + ";";
  }
  if (bad) return ::testing::AssertionFailure() << bad << " of " << g.size() << " elements differ:" << msg;
  return ::testing::AssertionSuccess();
}
inline ::testing::AssertionResult close(const Tensor& got, const Ref& want, DType dt) { return close(got, want, tol_for(dt)); }

inline std::vector<KernelLevel> levels() {
  std::vector<KernelLevel> out;
  const KernelLevel saved = transformers::kernel_level();
  for (KernelLevel l : {KernelLevel::Scalar, KernelLevel::Avx2, KernelLevel::Avx512}) {
    transformers::force_kernel_level(l);
    if (transformers::kernel_level() == l) out.push_back(l);
  }
  transformers::force_kernel_level(saved);
  return out;
}

// Runs body once per kernel level this CPU has (scalar always), restoring the level afterwards.
// A loop that ran no level (or skipped the scalar one) checked nothing: that fails.
inline void for_each_level(const std::function<void()>& body) {
  const KernelLevel saved = transformers::kernel_level();
  int ran = 0;
  bool scalar = false;
  for (KernelLevel l : levels()) {
    transformers::force_kernel_level(l);
    SCOPED_TRACE(std::string("kernel level ") + transformers::kernel_level_name(l));
    body();
    ++ran;
    scalar = scalar || l == KernelLevel::Scalar;
  }
  transformers::force_kernel_level(saved);
  EXPECT_GE(ran, 1) << "no kernel level ran";
  EXPECT_TRUE(scalar) << "the scalar kernel level did not run";
}

inline const std::vector<DType>& float_dtypes() {
  static const std::vector<DType> d = {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16};
  return d;
}

inline std::string name(DType d) { return std::string(transformers::dtype_name(d)); }

}  // namespace optest
