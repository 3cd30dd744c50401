// The autograd core (core/autograd.hpp): leaves and accumulation, grad mode, detach,
// retain_grad, retain_graph, and that inference records nothing.
#include <gtest/gtest.h>

#include "common/compare.hpp"
#include "transformers/core/autograd.hpp"
#include "transformers/ops/ops.hpp"

using namespace transformers;

namespace {
Tensor leaf(const std::vector<double>& v) { return Tensor::from_vector(v).set_requires_grad(true); }
std::vector<double> grad_of(const Tensor& t) { return t.grad().to_vector<double>(); }
}  // namespace

TEST(Autograd, LeafGradientsAccumulateOverBackwardCalls) {
  Tensor x = leaf({1.0, 2.0, 3.0});
  EXPECT_TRUE(x.is_leaf());
  EXPECT_TRUE(x.requires_grad());
  Tensor y = ops::sum(ops::mul(x, x));  // d/dx = 2x
  EXPECT_FALSE(y.is_leaf());
  ASSERT_TRUE(y.grad_fn());
  EXPECT_STREQ(y.grad_fn()->name(), "SumBackward1");
  y.backward();
  EXPECT_EQ(grad_of(x), (std::vector<double>{2.0, 4.0, 6.0}));
  ops::sum(ops::mul(x, 3.0)).backward();  // accumulates: + 3
  EXPECT_EQ(grad_of(x), (std::vector<double>{5.0, 7.0, 9.0}));
  x.set_grad(Tensor());  // zero_grad(set_to_none=True)
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, CopiesShareStateButViewsHaveTheirOwn) {
  Tensor x = leaf({1.0, 2.0});
  Tensor alias = x;  // the same tensor object, as a Python name bound twice
  ops::sum(ops::mul(alias, 2.0)).backward();
  EXPECT_EQ(grad_of(x), (std::vector<double>{2.0, 2.0}));
  const Tensor v = x.view({2, 1});
  EXPECT_FALSE(v.is_leaf());
  EXPECT_FALSE(v.grad().defined());
}

TEST(Autograd, NoGradRecordsNothingAndInferenceHasNoState) {
  Tensor x = leaf({1.0, 2.0});
  {
    autograd::NoGradGuard no_grad;
    EXPECT_FALSE(autograd::is_grad_enabled());
    const Tensor y = ops::mul(x, x);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_FALSE(y.autograd_meta());
    EXPECT_FALSE(x.transpose(0, 0).requires_grad());
  }
  EXPECT_TRUE(autograd::is_grad_enabled());
  // Inputs that do not require grad: no node, no state on the result (inference pays nothing).
  const Tensor a = Tensor::from_vector(std::vector<double>{1.0, 2.0});
  const Tensor b = ops::exp(ops::add(a, a)).view({2, 1}).transpose(0, 1);
  EXPECT_FALSE(b.autograd_meta());
  EXPECT_THROW(b.backward(), ValueError);
}

TEST(Autograd, DetachCutsTheGraph) {
  Tensor x = leaf({1.0, 2.0});
  const Tensor d = ops::mul(x, 2.0).detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  const Tensor y = ops::sum(ops::mul(ops::mul(x, d), 1.0));  // d is a constant: dy/dx = d
  y.backward();
  EXPECT_EQ(grad_of(x), (std::vector<double>{2.0, 4.0}));
}

TEST(Autograd, RetainGradKeepsAnIntermediateGradient) {
  Tensor x = leaf({1.0, 2.0});
  Tensor h = ops::mul(x, 3.0);
  Tensor other = ops::mul(x, 5.0);
  h.retain_grad();
  EXPECT_TRUE(h.retains_grad());
  ops::sum(ops::mul(h, h)).backward();  // dL/dh = 2h
  EXPECT_EQ(grad_of(h), (std::vector<double>{6.0, 12.0}));
  EXPECT_FALSE(other.grad().defined());  // not asked for
  EXPECT_EQ(grad_of(x), (std::vector<double>{18.0, 36.0}));
}

TEST(Autograd, SecondBackwardNeedsRetainGraph) {
  Tensor x = leaf({1.0, 2.0});
  const Tensor y = ops::sum(ops::exp(x));
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();  // graph kept the first time
  const auto g = grad_of(x);
  EXPECT_NEAR(g[0], 2 * std::exp(1.0), 1e-12);
  try {
    y.backward();
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("second time"), std::string::npos) << e.what();
  }
}

TEST(Autograd, BackwardOfANonScalarNeedsAGradient) {
  Tensor x = leaf({1.0, 2.0});
  const Tensor y = ops::mul(x, 2.0);
  EXPECT_THROW(y.backward(), ValueError);
  EXPECT_THROW(y.backward(Tensor::from_vector(std::vector<double>{1.0})), ShapeError);
  y.backward(Tensor::from_vector(std::vector<double>{1.0, 10.0}));
  EXPECT_EQ(grad_of(x), (std::vector<double>{2.0, 20.0}));
}

TEST(Autograd, SetRequiresGradOnAResultMakesALeaf) {
  Tensor x = leaf({1.0, 2.0});
  Tensor y = ops::mul(x, 2.0);
  y.set_requires_grad(true);  // replacing a parameter: `*slot = x.clone(); slot->set_requires_grad(rg)`
  EXPECT_TRUE(y.is_leaf());
  ops::sum(y).backward();
  EXPECT_EQ(grad_of(y), (std::vector<double>{1.0, 1.0}));
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, GradientsKeepTheLeafDtype) {
  Tensor w = Tensor::from_vector(std::vector<float>{1.0f, -2.0f}).set_requires_grad(true);
  const Tensor y = ops::sum(ops::mul(w.to(DType::Float64), 0.5));
  y.backward();
  EXPECT_EQ(w.grad().dtype(), DType::Float32);
  EXPECT_EQ(w.grad().to_vector<double>(), (std::vector<double>{0.5, 0.5}));
}
