// The suite's one comparison helper (tests/common/compare.hpp) must fail on what a std::max-based
// maximum silently drops: NaN anywhere unexpected, mismatched infinities, different shapes. A
// helper that could not fail would make every parity test built on it unable to fail.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/compare.hpp"

using namespace transformers;
using testcmp::allclose;
using testcmp::compare;
using testcmp::kFloat32Parity;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();
Tensor t(std::vector<float> v, Shape s) { return Tensor::from_vector<float>(v, s); }
}  // namespace

TEST(CompareHelper, NaNAnywhereUnexpectedFails) {
  Tensor want = t({1, 2, 3, 4}, {2, 2});
  EXPECT_FALSE(allclose(t({kNaN, kNaN, kNaN, kNaN}, {2, 2}), want));  // all NaN: std::max would report 0
  EXPECT_FALSE(allclose(t({1, 2, kNaN, 4}, {2, 2}), want));
  EXPECT_TRUE(std::isinf(testcmp::max_abs_diff(t({1, 2, kNaN, 4}, {2, 2}), want)));
  // a NaN the reference has too is a match; a number where NaN was expected is not
  EXPECT_TRUE(allclose(t({1, kNaN}, {2}), t({1, kNaN}, {2})));
  EXPECT_FALSE(allclose(t({1, 0}, {2}), t({1, kNaN}, {2})));
}

TEST(CompareHelper, InfinitiesMustMatchExactly) {
  const float inf = INFINITY;
  EXPECT_TRUE(allclose(t({-inf, 1}, {2}), t({-inf, 1}, {2})));
  EXPECT_FALSE(allclose(t({inf, 1}, {2}), t({-inf, 1}, {2})));
  EXPECT_FALSE(allclose(t({-1e30f, 1}, {2}), t({-inf, 1}, {2})));
  EXPECT_FALSE(allclose(t({inf, 1}, {2}), t({3, 1}, {2})));
}

TEST(CompareHelper, ShapeMismatchFails) {
  EXPECT_FALSE(allclose(t({1, 2, 3, 4}, {4}), t({1, 2, 3, 4}, {2, 2})));
  EXPECT_FALSE(allclose(std::vector<double>{1, 2}, std::vector<double>{1, 2, 3}));
}

TEST(CompareHelper, Float32ParityToleranceIsAbsolutePlusRelative) {
  // 2e-5 + 1e-5 * |want|: at |want| = 5 the bound is 7e-5
  EXPECT_TRUE(allclose(t({5.00006f}, {1}), t({5.0f}, {1})));
  EXPECT_FALSE(allclose(t({5.0001f}, {1}), t({5.0f}, {1})));
  EXPECT_TRUE(allclose(t({1.5e-5f}, {1}), t({0.0f}, {1})));
  EXPECT_FALSE(allclose(t({3e-5f}, {1}), t({0.0f}, {1})));
  EXPECT_EQ(kFloat32Parity.atol, 2e-5);
}

TEST(CompareHelper, ReportsTheWorstElement) {
  Tensor want = t({0, 0, 0, 0, 0, 0}, {2, 3});
  Tensor got = t({0, 1e-3f, 0, 0, 0.5f, 0}, {2, 3});
  auto c = compare(got, want, kFloat32Parity);
  EXPECT_EQ(c.failed, 2);
  EXPECT_EQ(c.worst, 4);
  EXPECT_FLOAT_EQ(c.worst_got, 0.5);
  auto r = allclose(got, want);
  ASSERT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("[1,1]"), std::string::npos) << r.message();
  EXPECT_NE(std::string(r.message()).find("2 of 6"), std::string::npos) << r.message();
}
