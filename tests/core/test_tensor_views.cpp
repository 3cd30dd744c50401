// Tensor views share storage and address the right elements; reshape copies only when it must.
#include <gtest/gtest.h>

#include "transformers/core/tensor.hpp"

using namespace transformers;

namespace {
Tensor iota(const Shape& s) {
  std::vector<float> v(size_t(shape_numel(s)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i);
  return Tensor::from_vector(v, s);
}
}  // namespace

TEST(TensorViews, NarrowSelectSlice) {
  const Tensor t = iota({3, 4, 5});
  const Tensor n = t.narrow(1, 1, 2);
  EXPECT_EQ(n.sizes(), (Shape{3, 2, 5}));
  EXPECT_TRUE(n.shares_storage(t));
  EXPECT_FALSE(n.is_contiguous());
  EXPECT_EQ(n.at({2, 1, 3}), t.at({2, 2, 3}));
  const Tensor s = t.select(2, -1);
  EXPECT_EQ(s.sizes(), (Shape{3, 4}));
  EXPECT_EQ(s.at({1, 2}), 1 * 20 + 2 * 5 + 4);
  const Tensor sl = t.slice(2, 1, 100, 2);  // python-style clamping, step 2 -> indices 1, 3
  EXPECT_EQ(sl.sizes(), (Shape{3, 4, 2}));
  EXPECT_EQ(sl.at({0, 0, 1}), 3.0);
  EXPECT_EQ(t.slice(0, 5, 9).size(0), 0);
  EXPECT_THROW(t.narrow(0, 2, 2), ValueError);
  EXPECT_THROW(t.select(0, 3), ValueError);
  EXPECT_THROW(t.select(3, 0), ValueError);
}

TEST(TensorViews, TransposePermuteContiguous) {
  const Tensor t = iota({2, 3, 4});
  const Tensor p = t.permute({2, 0, 1});
  EXPECT_EQ(p.sizes(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.strides(), (Shape{1, 12, 4}));
  EXPECT_EQ(p.at({3, 1, 2}), t.at({1, 2, 3}));
  EXPECT_FALSE(p.is_contiguous());
  const Tensor c = p.contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_FALSE(c.shares_storage(t));
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 2; ++j)
      for (int64_t k = 0; k < 3; ++k) EXPECT_EQ(c.at({i, j, k}), t.at({j, k, i}));
  EXPECT_TRUE(t.contiguous().is_same(t));  // no copy when already contiguous
  const Tensor tr = t.transpose(0, 2);
  EXPECT_EQ(tr.at({3, 2, 1}), t.at({1, 2, 3}));
  EXPECT_THROW(t.permute({0, 0, 1}), ValueError);
}

TEST(TensorViews, ViewReshapeCopyOnlyWhenNeeded) {
  const Tensor t = iota({2, 3, 4});
  const Tensor v = t.view({6, -1});
  EXPECT_EQ(v.sizes(), (Shape{6, 4}));
  EXPECT_TRUE(v.shares_storage(t));
  // a narrowed last dim can still merge the leading dims without copying
  const Tensor n = t.narrow(2, 0, 2);
  const Tensor nv = n.reshape({6, 2});
  EXPECT_TRUE(nv.shares_storage(t));
  EXPECT_EQ(nv.at({5, 1}), t.at({1, 2, 1}));
  // a transpose cannot be flattened without a copy: view throws, reshape copies
  const Tensor tr = t.transpose(1, 2);
  EXPECT_THROW(tr.view({-1}), ShapeError);
  const Tensor r = tr.reshape({-1});
  EXPECT_FALSE(r.shares_storage(t));
  EXPECT_EQ(r.at({1}), t.at({0, 1, 0}));
  EXPECT_TRUE(tr.reshape({2, 4, 3}).shares_storage(t));
  EXPECT_THROW(t.view({5, -1}), ShapeError);
  EXPECT_THROW(t.view({-1, -1}), ShapeError);
  EXPECT_EQ(Tensor::zeros({0, 3}).view({3, 0, 5}).numel(), 0);
  EXPECT_EQ(t.flatten(1).sizes(), (Shape{2, 12}));
  EXPECT_EQ(t.unflatten(2, {2, 2}).sizes(), (Shape{2, 3, 2, 2}));
}

TEST(TensorViews, ExpandSqueezeUnsqueeze) {
  const Tensor t = iota({3, 1});
  const Tensor e = t.expand({2, 3, 4});
  EXPECT_EQ(e.strides(), (Shape{0, 1, 0}));
  EXPECT_TRUE(e.shares_storage(t));
  EXPECT_EQ(e.at({1, 2, 3}), 2.0);
  EXPECT_EQ(t.expand({-1, 5}).sizes(), (Shape{3, 5}));
  EXPECT_THROW(t.expand({4, 4}), ShapeError);
  const Tensor u = t.unsqueeze(0).unsqueeze(-1);
  EXPECT_EQ(u.sizes(), (Shape{1, 3, 1, 1}));
  EXPECT_EQ(u.squeeze().sizes(), (Shape{3}));
  EXPECT_EQ(u.squeeze(0).sizes(), (Shape{3, 1, 1}));
  EXPECT_EQ(u.squeeze(1).sizes(), (Shape{1, 3, 1, 1}));  // not size 1: unchanged
  // contiguous() of an expanded view materialises it
  const Tensor ec = e.contiguous();
  EXPECT_EQ(ec.strides(), (Shape{12, 4, 1}));
  EXPECT_EQ(ec.at({1, 2, 3}), 2.0);
  // writes through a view land in the base
  Tensor base = Tensor::zeros({2, 3});
  base.select(1, 1).fill_(7);
  EXPECT_EQ(base.at({1, 1}), 7.0);
  EXPECT_EQ(base.at({1, 2}), 0.0);
  base.t().narrow(0, 2, 1).copy_(Tensor::ones({1, 2}));
  EXPECT_EQ(base.at({0, 2}), 1.0);
  EXPECT_EQ(base.at({1, 2}), 1.0);
}

TEST(TensorViews, ConversionsAndScalars) {
  const Tensor t = Tensor::from_vector<float>({1.5f, -2.25f, 3.0f});
  EXPECT_EQ(t.to(DType::BFloat16).to_vector<double>(), (std::vector<double>{1.5, -2.25, 3.0}));
  EXPECT_EQ(t.to(DType::Int64).to_vector<int64_t>(), (std::vector<int64_t>{1, -2, 3}));  // truncation like torch
  EXPECT_EQ(t.to(DType::Bool).to_vector<int>(), (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(t.t().dim(), 1);
  EXPECT_EQ(Tensor::scalar(4.0).item(), 4.0);
  EXPECT_THROW(t.item(), ValueError);
  EXPECT_THROW(t.data<double>(), ValueError);
  EXPECT_EQ(Tensor::arange(0, 1, 0.25, DType::Float32).to_vector<float>(), (std::vector<float>{0, 0.25f, 0.5f, 0.75f}));
  EXPECT_THROW(Tensor::empty({-1}), ShapeError);
  std::vector<float> mem = {1, 2, 3, 4};
  const Tensor ro = Tensor::from_blob(mem.data(), {2, 2}, DType::Float32, nullptr, true);
  EXPECT_THROW(ro.mutable_data_ptr(), ValueError);
  EXPECT_EQ(ro.clone().at({1, 1}), 4.0);
}
