#pragma once
// The one value comparison of the test suite (issue 18, "Tests that could not fail"). Every test
// program compares tensors (or value lists) through here so that the rules are the same
// everywhere and cannot silently drop a bad value:
//  - a NaN on either side fails unless the expected value is NaN too (std::max-style maxima skip
//    NaN, so all-NaN output would have passed);
//  - an infinite expected value must be met exactly (same sign); an infinite result where a
//    finite value was expected fails;
//  - shapes must be equal;
//  - a failure names the worst element (flat and multi-index, got, want) and how many failed.
//
// Tolerance of float32 parity with Hugging Face (kFloat32Parity): |got - want| <= 2e-5 + 1e-5 *
// |want|. Our float32 logits differ from transformers 4.51.3's by <= 4e-6 on the fixtures (values of
// magnitude ~1-6); 1e-4 let a changed layer_norm_eps pass, 2e-5 does not. The relative term covers
// hidden states of larger magnitude at the same float32 rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "transformers/core/tensor.hpp"

namespace testcmp {

struct Tolerance {
  double atol = 0;
  double rtol = 0;
};

// float32 parity with Hugging Face's float32 outputs (see above).
inline constexpr Tolerance kFloat32Parity{.atol = 2e-5, .rtol = 1e-5};
// Exact equality (value for value; NaN equals NaN, inf equals the same inf).
inline constexpr Tolerance kExact{.atol = 0, .rtol = 0};

struct Comparison {
  bool same_shape = true;
  int64_t numel = 0;
  int64_t failed = 0;       // elements outside the tolerance
  double max_abs = 0;       // max |got - want|; +inf for an unexpected NaN/inf or a shape mismatch
  double max_ref = 0;       // max |want| over finite expected values
  int64_t worst = -1;       // flat index of the element furthest outside (or, if none fails, the largest difference)
  double worst_got = 0, worst_want = 0;
  std::string shape_note;   // what differs when the shapes do

  bool ok() const { return same_shape && failed == 0; }
};

// |got - want| by the NaN/inf rules above: 0 for matching NaN or matching infinities, +inf for a
// NaN or infinity that does not match.
inline double elem_diff(double got, double want) {
  if (std::isnan(want)) return std::isnan(got) ? 0.0 : INFINITY;
  if (std::isnan(got)) return INFINITY;
  if (std::isinf(want) || std::isinf(got)) return got == want ? 0.0 : INFINITY;
  return std::fabs(got - want);
}

// Compares flat value lists (shapes checked by the caller or the Tensor overload).
inline Comparison compare(const std::vector<double>& got, const std::vector<double>& want, Tolerance tol = kExact) {
  Comparison c;
  c.numel = int64_t(want.size());
  if (got.size() != want.size()) {
    c.same_shape = false;
    c.max_abs = INFINITY;
    c.shape_note = std::to_string(got.size()) + " values, expected " + std::to_string(want.size());
    return c;
  }
  double worst_excess = -INFINITY;
  for (size_t i = 0; i < want.size(); ++i) {
    const double e = elem_diff(got[i], want[i]);
    const double bound = std::isfinite(want[i]) ? tol.atol + tol.rtol * std::fabs(want[i]) : 0.0;
    if (std::isfinite(want[i])) c.max_ref = std::max(c.max_ref, std::fabs(want[i]));
    if (e > c.max_abs) c.max_abs = e;
    const bool bad = e > bound;
    if (bad) ++c.failed;
    // the worst element: the one furthest beyond its bound (inf beats any finite excess)
    const double excess = std::isinf(e) ? INFINITY : e - bound;
    if (excess > worst_excess || c.worst < 0) {
      worst_excess = excess;
      c.worst = int64_t(i);
      c.worst_got = got[i];
      c.worst_want = want[i];
    }
  }
  return c;
}

inline Comparison compare(const transformers::Tensor& got, const transformers::Tensor& want, Tolerance tol = kExact) {
  if (got.sizes() != want.sizes()) {
    Comparison c;
    c.same_shape = false;
    c.max_abs = INFINITY;
    c.numel = want.numel();
    c.shape_note = "shape " + transformers::shape_str(got.sizes()) + ", expected " + transformers::shape_str(want.sizes());
    return c;
  }
  return compare(got.to_vector<double>(), want.to_vector<double>(), tol);
}

// max |got - want| with the NaN/inf rules (+inf when shapes differ or a NaN/inf does not match).
inline double max_abs_diff(const transformers::Tensor& got, const transformers::Tensor& want) {
  return compare(got, want).max_abs;
}

inline std::string index_str(int64_t flat, const transformers::Shape& shape) {
  if (shape.empty()) return "[]";
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = shape[d] ? flat % shape[d] : 0;
    if (shape[d]) flat /= shape[d];
  }
  std::string s = "[";
  for (size_t d = 0; d < idx.size(); ++d) s += (d ? "," : "") + std::to_string(idx[d]);
  return s + "]";
}

inline ::testing::AssertionResult report(const Comparison& c, Tolerance tol, const transformers::Shape* shape) {
  if (!c.same_shape) return ::testing::AssertionFailure() << c.shape_note;
  std::ostringstream m;
  m.precision(9);
  if (c.failed == 0) {
    m << "all " << c.numel << " values within atol " << tol.atol << " + rtol " << tol.rtol << " (max |diff| " << c.max_abs
      << ")";
    return ::testing::AssertionSuccess() << m.str();
  }
  m << c.failed << " of " << c.numel << " values outside atol " << tol.atol << " + rtol " << tol.rtol << "; worst at "
    << (shape ? index_str(c.worst, *shape) : "[" + std::to_string(c.worst) + "]") << " (flat " << c.worst
    << "): got " << c.worst_got << ", want " << c.worst_want << "; max |diff| " << c.max_abs;
  return ::testing::AssertionFailure() << m.str();
}

// EXPECT_TRUE(allclose(got, want)) for float32 parity; pass a Tolerance for anything else.
inline ::testing::AssertionResult allclose(const transformers::Tensor& got, const transformers::Tensor& want,
                                           Tolerance tol = kFloat32Parity) {
  const transformers::Shape shape = want.sizes();
  return report(compare(got, want, tol), tol, &shape);
}
inline ::testing::AssertionResult allclose(const std::vector<double>& got, const std::vector<double>& want,
                                           Tolerance tol = kFloat32Parity) {
  return report(compare(got, want, tol), tol, nullptr);
}

}  // namespace testcmp
