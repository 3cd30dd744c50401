// Every recorded op's backward against float64 finite differences on the reference backend
// (issue 20: "every op's backward passes a float64 finite-difference check").
#include <gtest/gtest.h>

#include <cmath>

#include "training/gradcheck.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/ops/dropout.hpp"

using namespace transformers;
using gradtest::gradcheck;
using gradtest::uniform;
using V = std::vector<Tensor>;

namespace {
// Runs gradcheck and asserts it looked at `expect` gradient elements.
void check(const gradtest::Fn& f, const V& in, int64_t expect) {
  int64_t n = 0;
  EXPECT_TRUE(gradcheck(f, in, &n));
  EXPECT_EQ(n, expect);
}
Tensor ids(const std::vector<int64_t>& v, const Shape& s) { return Tensor::from_vector(v, s); }
}  // namespace

TEST(OpBackward, Views) {
  const Tensor x = uniform({2, 3, 4}, 1);
  check([](const V& a) { return a[0].narrow(1, 1, 2); }, {x}, 24);
  check([](const V& a) { return a[0].slice(2, 0, 4, 2); }, {x}, 24);
  check([](const V& a) { return a[0].select(0, 1); }, {x}, 24);
  check([](const V& a) { return a[0].transpose(0, 2); }, {x}, 24);
  check([](const V& a) { return a[0].permute({2, 0, 1}); }, {x}, 24);
  check([](const V& a) { return a[0].view({6, 4}); }, {x}, 24);
  check([](const V& a) { return a[0].transpose(1, 2).reshape({2, 12}); }, {x}, 24);  // copying reshape
  check([](const V& a) { return a[0].unsqueeze(1).expand({2, 5, 3, 4}); }, {x}, 24);
  check([](const V& a) { return a[0].narrow(0, 0, 1).squeeze(0).flatten(); }, {x}, 24);
  check([](const V& a) { return a[0].unflatten(2, {2, 2}).squeeze(); }, {x}, 24);
  check([](const V& a) { return a[0].transpose(0, 1).contiguous().clone(); }, {x}, 24);
}

TEST(OpBackward, BinaryBroadcastAndScalar) {
  const Tensor a = uniform({2, 3}, 2), b = uniform({3}, 3, 0.5, 2.0), c = uniform({2, 1}, 4, 0.5, 2.0);
  check([](const V& v) { return ops::add(v[0], v[1]); }, {a, b}, 9);
  check([](const V& v) { return ops::sub(v[0], v[1]); }, {a, c}, 8);
  check([](const V& v) { return ops::mul(v[0], v[1]); }, {a, b}, 9);
  check([](const V& v) { return ops::div(v[0], v[1]); }, {a, c}, 8);
  check([](const V& v) { return ops::maximum(v[0], v[1]); }, {a, b}, 9);
  check([](const V& v) { return ops::minimum(v[0], v[1]); }, {a, c}, 8);
  check([](const V& v) { return ops::add(ops::mul(ops::sub(v[0], 0.5), 3.0), 1.0); }, {a}, 6);
  check([](const V& v) { return ops::div(ops::rsub(v[0], 2.0), 4.0); }, {a}, 6);
  check([](const V& v) { return ops::rdiv(v[0], 3.0); }, {b}, 3);
  check([](const V& v) { return v[0] * v[0] + v[0]; }, {a}, 6);  // one input used three times
}

TEST(OpBackward, Unary) {
  const Tensor x = uniform({3, 5}, 5, -2.0, 2.0), pos = uniform({3, 5}, 6, 0.5, 3.0);
  const std::vector<std::function<Tensor(const Tensor&)>> on_any = {
      ops::neg,     ops::exp,    ops::tanh,      ops::sigmoid,    ops::silu,
      ops::gelu_new, ops::gelu_fast, ops::quick_gelu, [](const Tensor& t) { return ops::gelu(t, false); },
      [](const Tensor& t) { return ops::pow(t, 3.0); },
      [](const Tensor& t) { return ops::activation(t, "gelu_pytorch_tanh"); }};
  for (const auto& fn : on_any) check([&](const V& v) { return fn(v[0]); }, {x}, 15);
  const std::vector<std::function<Tensor(const Tensor&)>> on_positive = {
      ops::log, ops::sqrt, ops::rsqrt, ops::abs, ops::relu, [](const Tensor& t) { return ops::pow(t, 1.5); },
      [](const Tensor& t) { return ops::clamp(t, 0.0, 10.0); }};
  for (const auto& fn : on_positive) check([&](const V& v) { return fn(v[0]); }, {pos}, 15);
}

// Under autocast the element-wise backward sees bf16 gradients and inputs (GPT-2's and BERT's GELU
// after a bf16 product). GELU's three forms and SiLU evaluate the derivative in float32 vector code
// (as torch does for bf16): within one bf16 rounding of the float64 formula (half an ulp: at
// most 2^-8 relative, plus the float32 evaluation's ~1e-6). Others (ReLU here) read bf16 in place and equal
// the float64 formula rounded once. 40 000 elements: the loops are split over the pool.
TEST(OpBackward, Bf16UnaryGradientWithinOneRoundingOfFloat64) {
  const Tensor x16 = uniform({200, 200}, 11, -3.0, 3.0).to(DType::BFloat16);
  const Tensor g16 = uniform({200, 200}, 12).to(DType::BFloat16);
  int cases = 0;
  for (const auto& [fn, exact] : std::vector<std::pair<std::function<Tensor(const Tensor&)>, bool>>{
           {ops::gelu_new, false},
           {[](const Tensor& t) { return ops::gelu(t, false); }, false},
           {ops::gelu_fast, false},
           {ops::silu, false},
           {ops::relu, true}}) {
    Tensor a = x16.clone().set_requires_grad(true), b = x16.to(DType::Float64).set_requires_grad(true);
    fn(a).backward(g16, false);
    fn(b).backward(g16.to(DType::Float64), false);
    ASSERT_EQ(a.grad().dtype(), DType::BFloat16);
    const std::vector<double> got = a.grad().to(DType::Float64).to_vector<double>();
    const std::vector<double> want = b.grad().to_vector<double>();
    const std::vector<double> rounded = b.grad().to(DType::BFloat16).to(DType::Float64).to_vector<double>();
    if (exact) {
      EXPECT_EQ(got, rounded);
    } else {
      for (size_t i = 0; i < got.size(); ++i)
        ASSERT_LE(std::abs(got[i] - want[i]), std::ldexp(std::abs(want[i]), -8) + 2e-6) << cases << " at " << i;
    }
    ++cases;
  }
  EXPECT_EQ(cases, 5);
}

// The same activations in float32 also take the float32 vector derivative (as torch's float32
// backward): within 1e-5 relative + 2e-6 of the float64 formula.
TEST(OpBackward, Float32ActivationGradientNearFloat64) {
  const Tensor x32 = uniform({200, 200}, 13, -6.0, 6.0).to(DType::Float32);
  const Tensor g32 = uniform({200, 200}, 14).to(DType::Float32);
  int cases = 0;
  for (const auto& fn : std::vector<std::function<Tensor(const Tensor&)>>{
           ops::gelu_new, [](const Tensor& t) { return ops::gelu(t, false); }, ops::gelu_fast, ops::silu}) {
    Tensor a = x32.clone().set_requires_grad(true), b = x32.to(DType::Float64).set_requires_grad(true);
    fn(a).backward(g32, false);
    fn(b).backward(g32.to(DType::Float64), false);
    ASSERT_EQ(a.grad().dtype(), DType::Float32);
    const std::vector<double> got = a.grad().to(DType::Float64).to_vector<double>();
    const std::vector<double> want = b.grad().to_vector<double>();
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_LE(std::abs(got[i] - want[i]), 1e-5 * std::abs(want[i]) + 2e-6) << cases << " at " << i;
    ++cases;
  }
  EXPECT_EQ(cases, 4);
}

// log_softmax's float32 backward over the last dim (cross-entropy over the vocabulary) is computed
// row by row in place; its bits equal the composed formula g - exp(y) * sum(g) in float32.
TEST(OpBackward, Float32LogSoftmaxBackwardEqualsTheComposedFormula) {
  const Tensor x = uniform({37, 301}, 21, -4.0, 4.0).to(DType::Float32);
  const Tensor g = uniform({37, 301}, 22).to(DType::Float32);
  Tensor leaf = x.clone().set_requires_grad(true);
  const Tensor y = ops::log_softmax(leaf, -1);
  y.backward(g, false);
  const Tensor yd = y.detach();
  const Tensor want = ops::sub(g, ops::mul(ops::exp(yd), ops::sum(g, {-1}, true)));
  ASSERT_EQ(leaf.grad().dtype(), DType::Float32);
  EXPECT_EQ(leaf.grad().to_vector<float>(), want.to_vector<float>());
}

TEST(OpBackward, WhereAndMaskedFill) {
  const Tensor a = uniform({2, 3}, 7), b = uniform({3}, 8);
  const Tensor cond = Tensor::from_vector(std::vector<bool>{true, false, true, false, false, true}, {2, 3});
  check([&](const V& v) { return ops::where(cond, v[0], v[1]); }, {a, b}, 9);
  check([&](const V& v) { return ops::masked_fill(v[0], cond, -5.0); }, {a}, 6);
}

TEST(OpBackward, IndexingAndJoining) {
  const Tensor w = uniform({5, 3}, 9), x = uniform({2, 4}, 10), y = uniform({2, 2}, 11);
  check([](const V& v) { return ops::embedding(v[0], v[1]); }, {w, ids({1, 3, 1, 0, 1, 4}, {2, 3})}, 15);
  check([](const V& v) { return ops::index_select(v[0], 1, v[1]); }, {x, ids({3, 0, 3}, {3})}, 8);
  check([](const V& v) { return ops::gather(v[0], 1, v[1]); }, {x, ids({0, 0, 2, 3, 1, 1}, {2, 3})}, 8);
  check([](const V& v) { return ops::cat({v[0], v[1], v[0]}, 1); }, {x, y}, 12);
  check([](const V& v) { return ops::stack({v[0], v[1], v[0]}, 1); }, {y, uniform({2, 2}, 36)}, 8);
  check([](const V& v) { return ops::tril(v[0], 0); }, {x}, 8);
  check([](const V& v) { return ops::triu(v[0], 1); }, {x}, 8);
  // split (a view per chunk) recombined out of order
  check([](const V& v) { return ops::cat({v[0].narrow(1, 2, 2), v[0].narrow(1, 0, 2)}, 0); }, {x}, 8);
}

TEST(OpBackward, Products) {
  const Tensor a = uniform({3, 4}, 12), b = uniform({4, 2}, 13), x = uniform({2, 3, 4}, 14), v4 = uniform({4}, 15);
  check([](const V& v) { return ops::matmul(v[0], v[1]); }, {a, b}, 20);
  check([](const V& v) { return ops::matmul(v[0], v[1]); }, {x, b}, 32);   // broadcast batch
  check([](const V& v) { return ops::matmul(v[0], v[1]); }, {a, v4}, 16);  // matrix-vector
  check([](const V& v) { return ops::matmul(v[0], v[1]); }, {v4, b}, 12);  // vector-matrix
  check([](const V& v) { return ops::matmul(v[0], v[1]); }, {v4, v4}, 8);  // dot
  check([](const V& v) { return ops::bmm(v[0], v[1]); }, {x, uniform({2, 4, 5}, 16)}, 64);
  const Tensor wl = uniform({5, 4}, 17), bias = uniform({5}, 18), wc = uniform({4, 5}, 19);
  check([](const V& v) { return ops::linear(v[0], v[1], v[2]); }, {x, wl, bias}, 24 + 20 + 5);
  check([](const V& v) { return ops::linear(v[0], v[1], Tensor()); }, {x, wl}, 24 + 20);
  check([](const V& v) { return ops::addmm_conv1d(v[0], v[1], v[2]); }, {x, wc, bias}, 24 + 20 + 5);
}

TEST(OpBackward, NormsAndSoftmax) {
  const Tensor x = uniform({2, 3, 6}, 20, -2.0, 2.0), w = uniform({6}, 21, 0.5, 1.5), b = uniform({6}, 22);
  check([](const V& v) { return ops::layer_norm(v[0], v[1], v[2], 1e-5); }, {x, w, b}, 36 + 12);
  check([](const V& v) { return ops::layer_norm(v[0], Tensor(), Tensor(), 1e-5); }, {x}, 36);
  check([](const V& v) { return ops::rms_norm(v[0], v[1], 1e-6); }, {x, w}, 42);
  check([](const V& v) { return ops::softmax(v[0], -1); }, {x}, 36);
  check([](const V& v) { return ops::softmax(v[0], 1); }, {x}, 36);
  check([](const V& v) { return ops::log_softmax(v[0], -1); }, {x}, 36);
}

TEST(OpBackward, Reductions) {
  const Tensor x = uniform({2, 3, 4}, 23);
  check([](const V& v) { return ops::sum(v[0]); }, {x}, 24);
  check([](const V& v) { return ops::sum(v[0], {1}); }, {x}, 24);
  check([](const V& v) { return ops::sum(v[0], {0, -1}, true); }, {x}, 24);
  check([](const V& v) { return ops::mean(v[0]); }, {x}, 24);
  check([](const V& v) { return ops::mean(v[0], {2}, true); }, {x}, 24);
}

TEST(OpBackward, CrossEntropyIgnoresMinus100) {
  const Tensor logits = uniform({5, 7}, 24, -3.0, 3.0);
  const Tensor labels = ids({3, -100, 0, 6, -100}, {5});
  check([&](const V& v) { return ops::cross_entropy(v[0], labels); }, {logits}, 35);
  check([&](const V& v) { return ops::cross_entropy(v[0], labels, {.reduction = ops::Reduction::sum}); }, {logits}, 35);
  check([&](const V& v) { return ops::cross_entropy(v[0], labels, {.reduction = ops::Reduction::none}); }, {logits}, 35);
  // The ignored rows get exactly zero gradient.
  Tensor l = logits.clone().set_requires_grad(true);
  ops::cross_entropy(l, labels).backward();
  for (int64_t j = 0; j < 7; ++j) {
    EXPECT_EQ(l.grad().at({1, j}), 0.0);
    EXPECT_EQ(l.grad().at({4, j}), 0.0);
  }
}

TEST(OpBackward, CrossEntropyRejectsOutOfRangeTargets) {
  const Tensor logits = uniform({2, 3}, 25);
  try {
    ops::cross_entropy(logits, ids({1, 3}, {2}));
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("target 3 at position 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ops::cross_entropy(logits, ids({1}, {1})), ShapeError);
}

TEST(OpBackward, Attention) {
  const Tensor q = uniform({1, 2, 3, 4}, 26), k = uniform({1, 2, 5, 4}, 27), v = uniform({1, 2, 5, 4}, 28);
  const Tensor kv1 = uniform({1, 1, 3, 4}, 29), vv1 = uniform({1, 1, 3, 4}, 30);
  const Tensor mask = uniform({1, 1, 3, 5}, 31, -2.0, 0.0);
  const int64_t n = 24 + 40 + 40;
  check([&](const V& x) { return ops::scaled_dot_product_attention(x[0], x[1], x[2], {.attn_mask = mask}); }, {q, k, v}, n);
  check([](const V& x) { return ops::scaled_dot_product_attention(x[0], x[1], x[2], {.is_causal = true}); },
        {q, k.narrow(2, 0, 3).contiguous(), v.narrow(2, 0, 3).contiguous()}, 24 * 3);
  check([](const V& x) {
    return ops::scaled_dot_product_attention(x[0], x[1], x[2], {.is_causal = true, .enable_gqa = true});
  }, {q, kv1, vv1}, 24 + 12 + 12);
  check([&](const V& x) { return ops::eager_attention(x[0], x[1], x[2], mask, 0.3).first; }, {q, k, v}, n);
}

TEST(OpBackward, Rotary) {
  const Tensor x = uniform({1, 2, 3, 4}, 32), cos = uniform({1, 3, 4}, 33), sin = uniform({1, 3, 4}, 34);
  check([](const V& v) { return ops::apply_rotary_pos_emb(v[0], v[1], v[2]); }, {x, cos, sin}, 24 + 12 + 12);
  check([](const V& v) { return ops::rotate_half(v[0]); }, {x}, 24);
}

// The mask is drawn on the pool from a counter-based stream: the same seed gives the same mask
// with one thread or two, in every float dtype (bf16 under autocast) at the keep rate 1 - p with
// the kept value 1 / (1 - p) rounded once to the dtype.
TEST(Dropout, MaskIndependentOfThreadsInEveryDtype) {
  const int saved = get_num_threads();
  const double p = 0.1;
  int cases = 0;
  for (DType dt : {DType::Float32, DType::BFloat16, DType::Float16, DType::Float64}) {
    const Tensor x = Tensor::ones({300, 400}, dt);  // 120 000 elements: several chunks
    set_num_threads(1);
    ops::Generator g1(11);
    const std::vector<double> one = ops::dropout(x, p, true, g1).to(DType::Float64).to_vector<double>();
    set_num_threads(2);
    ops::Generator g2(11);
    const std::vector<double> two = ops::dropout(x, p, true, g2).to(DType::Float64).to_vector<double>();
    EXPECT_EQ(one, two) << dtype_name(dt);
    const double kept_value = Tensor::scalar(1.0 / (1.0 - p), DType::Float64).to(dt).to(DType::Float64).item();
    int64_t kept = 0;
    for (double v : one) {
      kept += v != 0.0;
      ASSERT_TRUE(v == 0.0 || v == kept_value) << v;
    }
    const double n = double(one.size()), sd = std::sqrt(n * p * (1 - p));
    EXPECT_NEAR(double(kept), n * (1 - p), 4 * sd) << dtype_name(dt);
    ++cases;
  }
  set_num_threads(saved);
  EXPECT_EQ(cases, 4);
}

TEST(OpBackward, Dropout) {
  // Gradient: the same keep mask and 1 / (1 - p) scale as the forward.
  const Tensor x = uniform({50, 40}, 35);
  Tensor leaf = x.clone().set_requires_grad(true);
  ops::Generator g(7);
  const double p = 0.3;
  Tensor y = ops::dropout(leaf, p, /*training=*/true, g);
  ops::sum(y).backward();
  const auto gv = leaf.grad().to_vector<double>(), yv = y.to_vector<double>(), xv = x.to_vector<double>();
  int64_t kept = 0;
  for (size_t i = 0; i < gv.size(); ++i) {
    const bool keep = gv[i] != 0.0;
    kept += keep;
    EXPECT_DOUBLE_EQ(gv[i], keep ? 1.0 / (1.0 - p) : 0.0);
    EXPECT_DOUBLE_EQ(yv[i], keep ? xv[i] / (1.0 - p) : 0.0);
  }
  // Keep rate within 4 standard deviations of 1 - p (binomial over 2000 draws).
  const double n = double(gv.size()), sd = std::sqrt(n * p * (1 - p));
  EXPECT_NEAR(double(kept), n * (1 - p), 4 * sd);
  // Seeded: the same seed gives the same mask; eval mode and p = 0 are the identity.
  ops::Generator g2(7);
  EXPECT_TRUE(testcmp::allclose(ops::dropout(x, p, true, g2), y.detach(), testcmp::kExact));
  EXPECT_TRUE(ops::dropout(x, p, false, g2).is_same(x));
  EXPECT_TRUE(ops::dropout(x, 0.0, true, g2).is_same(x));
  EXPECT_THROW(ops::dropout(x, 1.5, true, g2), ValueError);
}
