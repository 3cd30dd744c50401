#pragma once
// A float64 finite-difference gradient check (torch.autograd.gradcheck's idea) on the reference
// backend: f's output is projected on fixed random weights to a scalar L, backward() gives dL/dx
// for every floating input, and each element is compared with the central difference
// (L(x + eps) - L(x - eps)) / (2 eps) evaluated under no_grad.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "common/compare.hpp"
#include "transformers/core/autograd.hpp"
#include "transformers/ops/dispatch.hpp"
#include "transformers/ops/ops.hpp"

namespace gradtest {

using transformers::DType;
using transformers::Shape;
using transformers::Tensor;
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// Values in [lo, hi) from a fixed seed, as float64.
inline Tensor uniform(const Shape& s, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  transformers::ops::Generator g(seed);
  Tensor t = transformers::ops::rand(s, g, DType::Float64);
  return transformers::ops::add(transformers::ops::mul(t, hi - lo), lo);
}

// Central-difference tolerance in float64: the differences are exact to ~1e-9 for eps 1e-6.
inline constexpr testcmp::Tolerance kGradTol{.atol = 1e-6, .rtol = 1e-5};

// Checks d sum(f(inputs) * w)/d input against finite differences for every floating input (the
// others, e.g. indices, are passed through). Returns the number of gradient elements checked
// through `checked` so a test can assert the check looked at something.
inline ::testing::AssertionResult gradcheck(const Fn& f, std::vector<Tensor> inputs, int64_t* checked = nullptr,
                                            double eps = 1e-6, testcmp::Tolerance tol = kGradTol) {
  using namespace transformers;
  ops::DeviceGuard on_reference(Device::Reference);
  for (Tensor& t : inputs)
    if (t.is_floating_point()) t = t.to(DType::Float64).contiguous().clone().set_requires_grad(true);
  Tensor out = f(inputs);
  if (!out.requires_grad()) return ::testing::AssertionFailure() << "f's output does not require grad";
  const Tensor w = uniform(out.sizes(), 99, 0.5, 1.5);
  const auto loss = [&](const std::vector<Tensor>& xs) { return ops::sum(ops::mul(f(xs).to(DType::Float64), w)); };
  loss(inputs).backward();
  int64_t n = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor& x = inputs[i];
    if (!x.is_floating_point()) continue;
    const Tensor analytic = x.grad();
    if (!analytic.defined()) return ::testing::AssertionFailure() << "input " << i << " got no gradient";
    autograd::NoGradGuard no_grad;
    std::vector<double> numeric(size_t(x.numel()));
    double* p = x.data<double>();
    for (int64_t j = 0; j < x.numel(); ++j) {
      const double keep = p[j];
      p[j] = keep + eps;
      const double up = loss(inputs).item();
      p[j] = keep - eps;
      const double down = loss(inputs).item();
      p[j] = keep;
      numeric[size_t(j)] = (up - down) / (2 * eps);
    }
    const Tensor want = Tensor::from_vector(numeric, x.sizes());
    const auto r = testcmp::allclose(analytic.to(DType::Float64), want, tol);
    if (!r) return ::testing::AssertionFailure() << "input " << i << ": " << r.message();
    n += x.numel();
  }
  if (checked) *checked = n;
  return ::testing::AssertionSuccess();
}

}  // namespace gradtest
