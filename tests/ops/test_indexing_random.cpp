// embedding, index_select, gather, cat/stack, topk/sort, tril/triu, and the random generator.
#include <cmath>
#include <set>

#include "op_test_util.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/indexing.hpp"
#include "transformers/ops/random.hpp"
#include "transformers/ops/reduce.hpp"

using namespace optest;
namespace ops = transformers::ops;

TEST(Indexing, EmbeddingAndIndexSelect) {
  for (DType dt : {DType::Float32, DType::BFloat16, DType::Float16, DType::Float64, DType::Int64})
    for (DType it : {DType::Int64, DType::Int32}) {
      const Tensor w = random({10, 6}, dt);
      const Tensor ids = Tensor::from_vector<int64_t>({3, 0, 9, 3, 7, 1}, {2, 3}).to(it);
      const Tensor e = ops::embedding(noncontig(w), ids);
      EXPECT_EQ(e.sizes(), (Shape{2, 3, 6}));
      EXPECT_EQ(e.dtype(), dt);
      const auto rw = w.to_vector<double>(), re = e.to_vector<double>();
      const int64_t idv[] = {3, 0, 9, 3, 7, 1};
      for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j) EXPECT_EQ(re[size_t(i * 6 + j)], rw[size_t(idv[i] * 6 + j)]);
      for (int64_t dim : {0, 1}) {
        const Tensor idx = Tensor::from_vector<int64_t>({2, 0, 2}).to(it);
        const Tensor s = ops::index_select(noncontig(w), dim, idx);
        EXPECT_EQ(s.size(dim), 3);
        for (int64_t a = 0; a < s.size(0); ++a)
          for (int64_t b = 0; b < s.size(1); ++b) {
            const int64_t src[2] = {dim == 0 ? (a == 1 ? 0 : 2) : a, dim == 1 ? (b == 1 ? 0 : 2) : b};
            EXPECT_EQ(s.at({a, b}), w.at({src[0], src[1]}));
          }
      }
    }
  const Tensor w = Tensor::ones({4, 2});
  try {
    ops::embedding(w, Tensor::from_vector<int64_t>({1, 4}));
    FAIL();
  } catch (const transformers::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("index 4"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ops::embedding(w, Tensor::from_vector<int64_t>({-1})), transformers::ValueError);
  EXPECT_THROW(ops::embedding(w, Tensor::from_vector<float>({1.f})), transformers::ValueError);
  EXPECT_EQ(ops::embedding(w, Tensor::zeros({0}, DType::Int64)).sizes(), (Shape{0, 2}));
  EXPECT_THROW(ops::index_select(w, 0, Tensor::from_vector<int64_t>({5})), transformers::ValueError);
}

TEST(Indexing, Gather) {
  for (DType dt : {DType::Float32, DType::BFloat16, DType::Int64})
    for (int64_t dim : {0, 1, -1}) {
      const Tensor t = random({3, 4}, dt);
      const int64_t d = dim < 0 ? dim + 2 : dim;
      const Tensor idx = ops::clamp(random({2, 3}, DType::Int64, 0, 3), 0, double(t.size(d) - 1));
      const Tensor g = ops::gather(noncontig(t), dim, noncontig(idx));
      EXPECT_EQ(g.sizes(), (Shape{2, 3}));
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 3; ++j) {
          const int64_t k = int64_t(idx.at({i, j}));
          EXPECT_EQ(g.at({i, j}), d == 0 ? t.at({k, j}) : t.at({i, k}));
        }
    }
  EXPECT_THROW(ops::gather(Tensor::ones({2, 2}), 1, Tensor::from_vector<int64_t>({0, 5}, {1, 2})), transformers::ValueError);
  EXPECT_THROW(ops::gather(Tensor::ones({2, 2}), 1, Tensor::from_vector<int64_t>({0}, {1})), transformers::ShapeError);
}

TEST(Indexing, CatStack) {
  const Tensor a = random({2, 3}, DType::Float32), b = random({2, 1}, DType::BFloat16), c = random({2, 0}, DType::Float32);
  const Tensor r = ops::cat({noncontig(a), b, c}, 1);
  EXPECT_EQ(r.sizes(), (Shape{2, 4}));
  EXPECT_EQ(r.dtype(), DType::Float32);  // promoted like torch.cat
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(r.at({i, j}), a.at({i, j}));
    EXPECT_EQ(r.at({i, 3}), b.at({i, 0}));
  }
  const Tensor r0 = ops::cat({a, a}, 0);
  EXPECT_EQ(r0.sizes(), (Shape{4, 3}));
  EXPECT_EQ(r0.at({3, 2}), a.at({1, 2}));
  EXPECT_EQ(ops::cat({a, Tensor::zeros({0})}, 0).sizes(), (Shape{2, 3}));  // legacy empty skipped
  EXPECT_THROW(ops::cat({a, Tensor::ones({3, 3})}, 1), transformers::ShapeError);
  EXPECT_THROW(ops::cat({}, 0), transformers::ValueError);
  const Tensor s = ops::stack({a, a * 2.0, a * 3.0}, 1);
  EXPECT_EQ(s.sizes(), (Shape{2, 3, 3}));
  EXPECT_FLOAT_EQ(float(s.at({1, 2, 0})), float(3.0 * a.at({1, 0})));
  EXPECT_EQ(ops::stack({a, a}, -1).sizes(), (Shape{2, 3, 2}));
  EXPECT_THROW(ops::stack({a, b}, 0), transformers::ShapeError);
}

TEST(Indexing, TopkSort) {
  for (DType dt : {DType::Float32, DType::BFloat16, DType::Float64, DType::Int64})
    for (int64_t dim : {0, 1}) {
      const Tensor t = random({5, 6}, dt, -3, 3).to(DType::Int64).to(dt);  // ties
      for (bool desc : {false, true}) {
        const auto [v, i] = ops::sort(noncontig(t), dim, desc);
        const auto [tv, ti] = ops::topk(t, 3, dim, desc);
        const int64_t n = t.size(dim), other = t.size(1 - dim);
        for (int64_t o = 0; o < other; ++o) {
          std::vector<std::pair<double, int64_t>> row;
          for (int64_t k = 0; k < n; ++k) row.push_back({dim == 0 ? t.at({k, o}) : t.at({o, k}), k});
          std::stable_sort(row.begin(), row.end(), [&](auto& x, auto& y) { return desc ? x.first > y.first : x.first < y.first; });
          for (int64_t k = 0; k < n; ++k) {
            const std::vector<int64_t> at = dim == 0 ? std::vector<int64_t>{k, o} : std::vector<int64_t>{o, k};
            EXPECT_EQ(v.at(at), row[size_t(k)].first);
            EXPECT_EQ(i.at(at), double(row[size_t(k)].second));  // stable: ties keep index order
            if (k < 3) {
              EXPECT_EQ(tv.at(at), row[size_t(k)].first);
              EXPECT_EQ(ti.at(at), double(row[size_t(k)].second));
            }
          }
        }
      }
    }
  const Tensor n = Tensor::from_vector<float>({2.f, NAN, -1.f});
  EXPECT_TRUE(std::isnan(ops::sort(n).first.to_vector<double>()[2]));  // NaN sorts last ascending
  EXPECT_TRUE(std::isnan(ops::topk(n, 1).first.item()));               // and counts as the largest
  EXPECT_THROW(ops::topk(n, 4), transformers::ValueError);
  EXPECT_EQ(ops::topk(Tensor::zeros({2, 0}), 0).first.sizes(), (Shape{2, 0}));
}

TEST(Indexing, TrilTriu) {
  const Tensor t = random({2, 3, 4}, DType::Float32);
  for (int64_t dg : {-1, 0, 2}) {
    const Tensor l = ops::tril(noncontig(t), dg), u = ops::triu(t, dg);
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 4; ++j) {
          EXPECT_EQ(l.at({b, i, j}), j - i <= dg ? t.at({b, i, j}) : 0.0);
          EXPECT_EQ(u.at({b, i, j}), j - i >= dg ? t.at({b, i, j}) : 0.0);
        }
  }
  EXPECT_THROW(ops::tril(Tensor::ones({3})), transformers::ShapeError);
}

TEST(Random, SeededAndDistributed) {
  ops::Generator g1(42), g2(42), g3(43);
  const Tensor a = ops::randn({1000}, g1), b = ops::randn({1000}, g2), c = ops::randn({1000}, g3);
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  EXPECT_NE(a.to_vector<float>(), c.to_vector<float>());
  const Tensor big = ops::randn({20000}, g1, DType::Float64);
  EXPECT_NEAR(ops::mean(big).item(), 0.0, 0.03);
  EXPECT_NEAR(ops::var(big, {0}).item(), 1.0, 0.05);
  const Tensor u = ops::rand({20000}, g1);
  EXPECT_GE(ops::amin(u, 0).item(), 0.0);
  EXPECT_LT(ops::amax(u, 0).item(), 1.0);
  EXPECT_NEAR(ops::mean(u).item(), 0.5, 0.01);
  Tensor t = Tensor::empty({5000}, DType::BFloat16);
  ops::normal_(t, 3.0, 0.5, g1);
  EXPECT_NEAR(ops::mean(t.to(DType::Float32)).item(), 3.0, 0.03);
  g1.manual_seed(7);
  const double first = g1.uniform();
  g1.manual_seed(7);
  EXPECT_EQ(g1.uniform(), first);
}

TEST(Random, Multinomial) {
  ops::Generator g(0);
  const Tensor p = Tensor::from_vector<float>({0.1f, 0.0f, 0.6f, 0.3f});
  const Tensor s = ops::multinomial(p, 20000, true, g);
  EXPECT_EQ(s.sizes(), (Shape{20000}));
  std::vector<double> counts(4, 0);
  for (int64_t v : s.to_vector<int64_t>()) counts[size_t(v)] += 1;
  EXPECT_EQ(counts[1], 0);
  EXPECT_NEAR(counts[0] / 20000, 0.1, 0.01);
  EXPECT_NEAR(counts[2] / 20000, 0.6, 0.015);
  // unnormalised weights, 2-D, without replacement: distinct, never a zero-weight index
  const Tensor w = Tensor::from_vector<float>({1, 0, 2, 5, 0, 1, 1, 1}, {2, 4});
  const Tensor d = ops::multinomial(w, 3, false, g);
  EXPECT_EQ(d.sizes(), (Shape{2, 3}));
  for (int64_t r = 0; r < 2; ++r) {
    std::set<int64_t> seen;
    for (int64_t k = 0; k < 3; ++k) {
      const int64_t v = int64_t(d.at({r, k}));
      EXPECT_TRUE(seen.insert(v).second);
      EXPECT_NE(w.at({r, v}), 0.0);
    }
  }
  EXPECT_THROW(ops::multinomial(Tensor::from_vector<float>({1, 0, 0}), 2, false, g), transformers::ValueError);
  EXPECT_THROW(ops::multinomial(Tensor::from_vector<float>({-1, 2}), 1, true, g), transformers::ValueError);
  EXPECT_THROW(ops::multinomial(Tensor::from_vector<float>({NAN, 2}), 1, true, g), transformers::ValueError);
  EXPECT_THROW(ops::multinomial(Tensor::zeros({3}), 1, true, g), transformers::ValueError);
  // same seed, same draws
  ops::Generator a(5), b(5);
  EXPECT_EQ(ops::multinomial(p, 50, true, a).to_vector<int64_t>(), ops::multinomial(p, 50, true, b).to_vector<int64_t>());
}
