// The memory-efficient sdpa training path (src/ops/autograd/attention.cpp) against the composed
// matmul / softmax / matmul recording (sdpa_composed, torch's math backend): same output and the
// same q / k / v gradients for every mask form, GQA, Lq != Lk and sizes that are not a multiple
// of the 64-row query block. (Finite differences: OpBackward.Attention runs through this path.)
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/compare.hpp"
#include "ops/autograd/attention.hpp"
#include "training/gradcheck.hpp"
#include "transformers/core/autograd.hpp"
#include "transformers/ops/autocast.hpp"
#include "transformers/ops/ops.hpp"

using namespace transformers;

namespace {

struct Case {
  const char* name;
  int64_t B, H, Hkv, Lq, Lk, D, Dv;
  enum Mask { None, Causal, Bool, Additive } mask;
};

// out, dq, dk, dv of sum(attention(q, k, v) * w).
std::vector<Tensor> run(bool efficient, const Case& c, DType dt, const ops::SdpaOptions& o) {
  auto leaf = [&](const Shape& s, uint64_t seed) {
    Tensor t = gradtest::uniform(s, seed).to(dt);
    t.set_requires_grad(true);
    return t;
  };
  Tensor q = leaf({c.B, c.H, c.Lq, c.D}, 1), k = leaf({c.B, c.Hkv, c.Lk, c.D}, 2), v = leaf({c.B, c.Hkv, c.Lk, c.Dv}, 3);
  const Tensor w = gradtest::uniform({c.B, c.H, c.Lq, c.Dv}, 4).to(dt);
  const Tensor out = efficient ? ops::scaled_dot_product_attention(q, k, v, o) : ops::sdpa_composed(q, k, v, o);
  if (efficient) EXPECT_STREQ(out.grad_fn()->name(), "ScaledDotProductEfficientAttentionBackward0");
  ops::sum(ops::mul(out, w)).backward();
  return {out.detach(), q.grad(), k.grad(), v.grad()};
}

const std::vector<Case> kCases = {
    {"plain", 2, 3, 3, 70, 67, 5, 3, Case::None},
    {"causal_square", 1, 2, 2, 130, 130, 8, 8, Case::Causal},
    {"causal_rect", 1, 2, 2, 65, 40, 4, 6, Case::Causal},
    {"bool_mask", 2, 2, 2, 66, 33, 4, 4, Case::Bool},
    {"additive_mask", 2, 4, 4, 64, 71, 3, 5, Case::Additive},
    {"gqa_causal", 1, 6, 2, 67, 67, 4, 4, Case::Causal},
    {"gqa_additive", 2, 4, 1, 9, 70, 4, 2, Case::Additive},
};

ops::SdpaOptions options(const Case& c, DType dt) {
  ops::SdpaOptions o{.scale = 0.37, .enable_gqa = c.H != c.Hkv};
  if (c.mask == Case::Causal) o.is_causal = true;
  if (c.mask == Case::Bool) {  // per-batch key padding broadcast over heads and rows; key 0 always kept
    std::vector<bool> keep(size_t(c.B * c.Lq * c.Lk));
    for (int64_t b = 0; b < c.B; ++b)
      for (int64_t i = 0; i < c.Lq; ++i)
        for (int64_t j = 0; j < c.Lk; ++j) keep[size_t((b * c.Lq + i) * c.Lk + j)] = j == 0 || (i + 3 * j + b) % 4 != 0;
    o.attn_mask = Tensor::from_vector(keep, {c.B, 1, c.Lq, c.Lk});
  }
  if (c.mask == Case::Additive) o.attn_mask = gradtest::uniform({1, c.H, 1, c.Lk}, 5, -3.0, 0.0).to(dt);
  return o;
}

void check(DType dt, double rel) {
  int cases = 0;
  for (const Case& c : kCases) {
    SCOPED_TRACE(std::string(c.name) + " " + std::string(dtype_name(dt)));
    const ops::SdpaOptions o = options(c, dt);
    const auto got = run(true, c, dt, o), want = run(false, c, dt, o);
    const char* what[] = {"out", "dq", "dk", "dv"};
    for (size_t i = 0; i < got.size(); ++i) {
      SCOPED_TRACE(what[i]);
      ASSERT_TRUE(got[i].defined());
      // relative to the largest magnitude (the gradient's inf-norm)
      const double scale = ops::amax(ops::abs(want[i].to(DType::Float64).reshape({-1})), 0).item<double>();
      EXPECT_GT(scale, 0.0);
      EXPECT_TRUE(testcmp::allclose(got[i], want[i], {.atol = rel * scale, .rtol = 0}));
    }
    ++cases;
  }
  EXPECT_EQ(cases, 7);
}

}  // namespace

TEST(SdpaEfficientBackward, Float32EqualsComposed) { check(DType::Float32, 1e-5); }
TEST(SdpaEfficientBackward, Float64EqualsComposed) { check(DType::Float64, 1e-12); }

// Under bf16 autocast (Trainer --bf16: float32 leaves, recorded casts) q / k / v reach the op in
// bf16 and are computed in float32 inside: the output is bf16, the leaves' gradients float32 and
// within bf16 rounding of the float32 run's.
TEST(SdpaEfficientBackward, Bf16UnderAutocastNearFloat32) {
  const Case c{"bf16", 1, 4, 2, 70, 70, 8, 8, Case::Causal};
  const ops::SdpaOptions o = options(c, DType::Float32);
  std::vector<Tensor> got;
  {
    ops::AutocastGuard autocast(DType::BFloat16);
    got = run(true, c, DType::Float32, o);
  }
  const auto want = run(true, c, DType::Float32, o);
  EXPECT_EQ(got[0].dtype(), DType::BFloat16);
  for (size_t i = 0; i < got.size(); ++i) {
    if (i) EXPECT_EQ(got[i].dtype(), DType::Float32) << i;
    const double scale = ops::amax(ops::abs(want[i].reshape({-1})), 0).item<double>();
    EXPECT_TRUE(testcmp::allclose(got[i].to(DType::Float32), want[i], {.atol = 2e-2 * scale, .rtol = 0})) << i;
  }
}

// A mask that requires grad keeps the composed recording (the efficient node gives the mask no gradient).
TEST(SdpaEfficientBackward, MaskRequiringGradTakesTheComposedPath) {
  Tensor q = gradtest::uniform({1, 1, 3, 4}, 7).to(DType::Float32), m = Tensor::zeros({1, 1, 3, 3});
  q.set_requires_grad(true);
  m.set_requires_grad(true);
  const Tensor out = ops::scaled_dot_product_attention(q, q, q, {.attn_mask = m});
  EXPECT_STRNE(out.grad_fn()->name(), "ScaledDotProductEfficientAttentionBackward0");
}

// A query row whose keys are all masked out gives zeros, as the no-grad fused kernel does (the
// composed softmax would give NaN), and no gradient flows through it; the other rows are unchanged.
TEST(SdpaEfficientBackward, FullyMaskedRowGivesZerosAndZeroGradient) {
  const Case c{"masked_row", 1, 2, 2, 3, 4, 4, 4, Case::None};
  std::vector<bool> keep(12, true);
  for (int j = 0; j < 4; ++j) keep[size_t(4 + j)] = false;  // row 1 sees no key
  ops::SdpaOptions o{.attn_mask = Tensor::from_vector(keep, {1, 1, 3, 4})};
  const auto got = run(true, c, DType::Float64, o);
  const Tensor zeros = Tensor::zeros({1, 2, 1, 4}, DType::Float64);
  EXPECT_TRUE(testcmp::allclose(got[0].narrow(2, 1, 1), zeros, testcmp::kExact));
  EXPECT_TRUE(testcmp::allclose(got[1].narrow(2, 1, 1), zeros, testcmp::kExact));
  for (const size_t i : {2, 3})  // dk, dv finite: a NaN or inf fails against zeros at any atol
    EXPECT_TRUE(testcmp::allclose(got[i], Tensor::zeros(got[i].sizes(), DType::Float64), {.atol = 1e9, .rtol = 0}));
  const auto want = run(false, c, DType::Float64, o);
  for (const int64_t row : {0, 2})
    EXPECT_TRUE(testcmp::allclose(got[0].narrow(2, row, 1), want[0].narrow(2, row, 1), {.atol = 1e-12, .rtol = 0}));
}
