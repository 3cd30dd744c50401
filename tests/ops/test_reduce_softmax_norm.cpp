// Reductions, softmax/log_softmax, layer_norm and rms_norm against double references.
#include <cmath>
#include <limits>

#include "op_test_util.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/norm.hpp"
#include "transformers/ops/reduce.hpp"
#include "transformers/ops/softmax.hpp"

using namespace optest;
namespace ops = transformers::ops;

namespace {
// Reduce `r` over `dims` with f(values) -> value; keepdim shapes.
Ref ref_reduce(const Ref& r, std::vector<int64_t> dims, bool keepdim, const std::function<double(const std::vector<double>&)>& f) {
  const int64_t nd = int64_t(r.shape.size());
  std::vector<bool> red(size_t(nd), dims.empty());
  for (auto d : dims) red[size_t(d < 0 ? d + nd : d)] = true;
  Shape out_keep, out;
  for (int64_t d = 0; d < nd; ++d) {
    out_keep.push_back(red[size_t(d)] ? 1 : r.shape[size_t(d)]);
    if (!red[size_t(d)]) out.push_back(r.shape[size_t(d)]);
  }
  Ref o(keepdim ? out_keep : out);
  std::vector<std::vector<double>> groups(size_t(transformers::shape_numel(out_keep)));
  for (int64_t i = 0; i < r.numel(); ++i) {
    auto idx = unravel(i, r.shape);
    int64_t g = 0;
    for (int64_t d = 0; d < nd; ++d) g = g * out_keep[size_t(d)] + (red[size_t(d)] ? 0 : idx[size_t(d)]);
    groups[size_t(g)].push_back(r.v[size_t(i)]);
  }
  for (size_t g = 0; g < groups.size(); ++g) o.v[g] = f(groups[g]);
  return o;
}
double vsum(const std::vector<double>& v) { double s = 0; for (double x : v) s += x; return s; }
}  // namespace

TEST(Reduce, SumMeanVarOverDimSets) {
  const std::vector<std::vector<int64_t>> dimsets = {{}, {0}, {-1}, {0, 2}, {1}};
  for (DType dt : float_dtypes())
    for (const auto& dims : dimsets)
      for (bool keep : {false, true})
        for (bool nc : {false, true}) {
          SCOPED_TRACE(name(dt) + " dims " + transformers::shape_str(dims) + (keep ? " keep" : "") + (nc ? " nc" : ""));
          Tensor t = random({3, 4, 5}, dt);
          const Ref r = Ref::of(t);
          if (nc) t = noncontig(t);
          Tol tl = tol_for(dt);
          tl.atol *= 4;
          EXPECT_TRUE(close(ops::sum(t, dims, keep), ref_reduce(r, dims, keep, vsum), tl));
          EXPECT_EQ(ops::sum(t, dims, keep).dtype(), dt);
          EXPECT_TRUE(close(ops::mean(t, dims, keep), ref_reduce(r, dims, keep, [](auto& v) { return vsum(v) / double(v.size()); }), tl));
          for (int64_t corr : {0, 1}) {
            auto fv = [corr](const std::vector<double>& v) {
              const double m = vsum(v) / double(v.size());
              double s = 0;
              for (double x : v) s += (x - m) * (x - m);
              return s / double(int64_t(v.size()) - corr);
            };
            EXPECT_TRUE(close(ops::var(t, dims, corr, keep), ref_reduce(r, dims, keep, fv), tl));
          }
        }
  // ints sum to int64; zero-size sums are 0; mean of ints is an error like torch
  const Tensor i = Tensor::from_vector<int32_t>({1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(ops::sum(i).dtype(), DType::Int64);
  EXPECT_EQ(ops::sum(i, {1}).to_vector<int64_t>(), (std::vector<int64_t>{3, 7}));
  EXPECT_EQ(ops::sum(Tensor::ones({2, 3}, DType::Bool)).item(), 6.0);
  EXPECT_EQ(ops::sum(Tensor::zeros({0, 3})).item(), 0.0);
  EXPECT_EQ(ops::sum(Tensor::zeros({0, 3}), {0}).sizes(), (Shape{3}));
  EXPECT_TRUE(std::isnan(ops::mean(Tensor::zeros({0})).item()));
  EXPECT_THROW(ops::mean(i), transformers::UnsupportedError);
  EXPECT_TRUE(std::isnan(ops::var(Tensor::ones({1}), {0}).item()));
  EXPECT_THROW(ops::sum(i, {2}), transformers::ValueError);
}

TEST(Reduce, MaxMinArgmaxFirstIndexAndNaN) {
  for (DType dt : {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16, DType::Int64, DType::Int32})
    for (int64_t dim : {0, 1, -1}) {
      SCOPED_TRACE(name(dt) + " dim " + std::to_string(dim));
      // small integer values make ties common
      const Tensor t = random({4, 6, 3}, dt, -3, 3).to(DType::Int64).to(dt);
      const Ref r = Ref::of(t);
      const auto [v, ix] = ops::max(noncontig(t), dim);
      const auto [vn, ixn] = ops::min(t, dim, true);
      EXPECT_EQ(v.dtype(), dt);
      EXPECT_EQ(ix.dtype(), DType::Int64);
      EXPECT_TRUE(close(v, ref_reduce(r, {dim}, false, [](auto& g) { return *std::max_element(g.begin(), g.end()); }), Tol{0, 0}));
      EXPECT_TRUE(close(ix, ref_reduce(r, {dim}, false, [](auto& g) { return double(std::max_element(g.begin(), g.end()) - g.begin()); }), Tol{0, 0}));
      EXPECT_TRUE(close(vn, ref_reduce(r, {dim}, true, [](auto& g) { return *std::min_element(g.begin(), g.end()); }), Tol{0, 0}));
      EXPECT_TRUE(close(ixn, ref_reduce(r, {dim}, true, [](auto& g) { return double(std::min_element(g.begin(), g.end()) - g.begin()); }), Tol{0, 0}));
      EXPECT_TRUE(close(ops::argmax(t, dim), ref_reduce(r, {dim}, false, [](auto& g) { return double(std::max_element(g.begin(), g.end()) - g.begin()); }), Tol{0, 0}));
      EXPECT_TRUE(close(ops::amax(t, dim, true), ref_reduce(r, {dim}, true, [](auto& g) { return *std::max_element(g.begin(), g.end()); }), Tol{0, 0}));
      EXPECT_TRUE(close(ops::amin(t, dim), ref_reduce(r, {dim}, false, [](auto& g) { return *std::min_element(g.begin(), g.end()); }), Tol{0, 0}));
    }
  const Tensor n = Tensor::from_vector<float>({1.f, NAN, 5.f, NAN});
  EXPECT_TRUE(std::isnan(ops::amax(n, 0).item()));
  EXPECT_EQ(ops::argmax(n, 0).item(), 1.0);
  EXPECT_THROW(ops::max(Tensor::zeros({0, 2}), 0), transformers::ValueError);
  EXPECT_EQ(ops::max(Tensor::zeros({0, 2}), 1).first.sizes(), (Shape{0}));
  // int64 beyond 2^53 stays exact
  const Tensor big = Tensor::from_vector<int64_t>({(int64_t(1) << 60) + 1, 3});
  EXPECT_EQ(ops::amax(big, 0).to_vector<int64_t>()[0], (int64_t(1) << 60) + 1);
}

TEST(Reduce, Cumsum) {
  for (DType dt : {DType::Float32, DType::Float64, DType::BFloat16, DType::Int64, DType::Bool})
    for (int64_t dim : {0, 1, -1}) {
      SCOPED_TRACE(name(dt) + " dim " + std::to_string(dim));
      const Tensor t = random({3, 5}, dt == DType::Bool ? DType::Int64 : dt, -2, 2).to(dt);
      const Ref r = Ref::of(t);
      Ref want(r.shape);
      const int64_t d = dim < 0 ? dim + 2 : dim;
      for (int64_t i = 0; i < want.numel(); ++i) {
        auto idx = unravel(i, r.shape);
        double s = 0;
        for (int64_t k = 0; k <= idx[size_t(d)]; ++k) {
          auto j = idx;
          j[size_t(d)] = k;
          s += r.v[size_t(j[0] * 5 + j[1])];
        }
        want.v[size_t(i)] = s;
      }
      const Tensor got = ops::cumsum(noncontig(t), dim);
      EXPECT_EQ(got.dtype(), transformers::is_floating_point(dt) ? dt : DType::Int64);
      Tol tl = tol_for(dt);
      tl.atol *= 4;
      EXPECT_TRUE(close(got, want, tl));
    }
  EXPECT_EQ(ops::cumsum(Tensor::zeros({0, 4}), 0).sizes(), (Shape{0, 4}));
}

TEST(Softmax, MatchesReferenceAllDtypesDims) {
  for_each_level([] {
    for (DType dt : float_dtypes())
      for (const Shape& s : {Shape{4, 7}, Shape{2, 3, 130}, Shape{5, 0}, Shape{1}})
        for (int64_t dim : {-1, 0})
          for (bool nc : {false, true}) {
            SCOPED_TRACE(name(dt) + " " + transformers::shape_str(s) + " dim " + std::to_string(dim) + (nc ? " nc" : ""));
            Tensor t = random(s, dt, -20, 20);
            const Ref r = Ref::of(t);
            if (nc) t = noncontig(t);
            const int64_t nd = int64_t(s.size()), d = dim < 0 ? dim + nd : dim;
            Ref sm(r.shape), lsm(r.shape);
            for (int64_t i = 0; i < r.numel(); ++i) {
              auto idx = unravel(i, r.shape);
              double m = -INFINITY;
              std::vector<double> row;
              for (int64_t k = 0; k < s[size_t(d)]; ++k) {
                auto j = idx;
                j[size_t(d)] = k;
                int64_t off = 0;
                for (int64_t q = 0; q < nd; ++q) off = off * s[size_t(q)] + j[size_t(q)];
                row.push_back(r.v[size_t(off)]);
                m = std::max(m, r.v[size_t(off)]);
              }
              double z = 0;
              for (double x : row) z += std::exp(x - m);
              sm.v[size_t(i)] = std::exp(r.v[size_t(i)] - m) / z;
              lsm.v[size_t(i)] = r.v[size_t(i)] - m - std::log(z);
            }
            const Tensor a = ops::softmax(t, dim);
            EXPECT_EQ(a.dtype(), dt);
            Tol tl = tol_for(dt);
            if (dt == DType::Float32) tl = {1e-5, 1e-7};
            EXPECT_TRUE(close(a, sm, tl));
            Tol tl2 = tol_for(dt);
            if (dt == DType::Float32) tl2 = {1e-5, 2e-5};
            EXPECT_TRUE(close(ops::log_softmax(t, dim), lsm, tl2));
            // dtype= : computed and returned in float32
            EXPECT_EQ(ops::softmax(t, dim, DType::Float32).dtype(), DType::Float32);
            EXPECT_TRUE(close(ops::softmax(t, dim, DType::Float32), sm, Tol{1e-5, 1e-7}));
          }
  });
}

TEST(Softmax, StableForHugeAndInfinite) {
  for_each_level([] {
    const Tensor t = Tensor::from_vector<float>({1000.f, 1000.f, -INFINITY, 999.f}, {1, 4});
    const auto p = ops::softmax(t, -1).to_vector<double>();
    const double e = std::exp(-1.0), z = 2 + e;
    EXPECT_NEAR(p[0], 1 / z, 1e-6);
    EXPECT_EQ(p[2], 0.0);
    EXPECT_NEAR(p[3], e / z, 1e-6);
    // a fully -inf row gives NaN like torch.softmax
    const auto q = ops::softmax(Tensor::full({1, 3}, -INFINITY), -1).to_vector<double>();
    EXPECT_TRUE(std::isnan(q[0]));
    const auto l = ops::log_softmax(t, -1).to_vector<double>();
    EXPECT_TRUE(std::isinf(l[2]) && l[2] < 0);
  });
  EXPECT_THROW(ops::softmax(Tensor::ones({2}, DType::Int64), 0), transformers::UnsupportedError);
}

TEST(Norm, LayerNormMatchesReference) {
  for_each_level([] {
    for (DType dt : float_dtypes())
      for (int64_t D : {1, 7, 64, 100})
        for (bool affine : {false, true}) {
          SCOPED_TRACE(name(dt) + " D " + std::to_string(D) + (affine ? " affine" : ""));
          Tensor x = random({3, 2, D}, dt, -3, 5);
          const Tensor w = affine ? random({D}, dt) : Tensor(), b = affine ? random({D}, dt) : Tensor();
          const Ref rx = Ref::of(x);
          const auto rw = affine ? w.to_vector<double>() : std::vector<double>(), rb = affine ? b.to_vector<double>() : std::vector<double>();
          Ref want(rx.shape);
          for (int64_t r = 0; r < 6; ++r) {
            double m = 0, v = 0;
            for (int64_t j = 0; j < D; ++j) m += rx.v[size_t(r * D + j)];
            m /= double(D);
            for (int64_t j = 0; j < D; ++j) v += std::pow(rx.v[size_t(r * D + j)] - m, 2);
            v /= double(D);
            for (int64_t j = 0; j < D; ++j) {
              double y = (rx.v[size_t(r * D + j)] - m) / std::sqrt(v + 1e-5);
              if (affine) y = y * rw[size_t(j)] + rb[size_t(j)];
              want.v[size_t(r * D + j)] = y;
            }
          }
          const Tensor got = ops::layer_norm(noncontig(x), w, b, 1e-5);
          EXPECT_EQ(got.dtype(), dt);
          Tol tl = tol_for(dt);
          tl.atol *= 4;
          EXPECT_TRUE(close(got, want, tl));
        }
  });
  EXPECT_THROW(ops::layer_norm(Tensor::ones({2, 3}), Tensor::ones({4}), Tensor(), 1e-5), transformers::ShapeError);
  EXPECT_EQ(ops::layer_norm(Tensor::ones({0, 3}), Tensor(), Tensor(), 1e-5).sizes(), (Shape{0, 3}));
}

TEST(Norm, RmsNormLlamaSemantics) {
  for_each_level([] {
    for (DType dt : float_dtypes())
      for (int64_t D : {1, 16, 33}) {
        SCOPED_TRACE(name(dt) + " D " + std::to_string(D));
        const Tensor x = random({2, 3, D}, dt, -4, 4), w = random({D}, dt, 0.5, 1.5);
        const Ref rx = Ref::of(x);
        const auto rw = w.to_vector<double>();
        Ref want(rx.shape), want_nw(rx.shape);
        for (int64_t r = 0; r < 6; ++r) {
          double ss = 0;
          for (int64_t j = 0; j < D; ++j) ss += std::pow(rx.v[size_t(r * D + j)], 2);
          const double rs = 1 / std::sqrt(ss / double(D) + 1e-6);
          for (int64_t j = 0; j < D; ++j) {
            want_nw.v[size_t(r * D + j)] = rx.v[size_t(r * D + j)] * rs;
            want.v[size_t(r * D + j)] = rw[size_t(j)] * rx.v[size_t(r * D + j)] * rs;
          }
        }
        const Tensor got = ops::rms_norm(noncontig(x), w, 1e-6);
        EXPECT_EQ(got.dtype(), dt);
        // two roundings to the dtype (after the normalisation, after the weight product)
        Tol tl = tol_for(dt);
        tl.rtol *= 2;
        EXPECT_TRUE(close(got, want, tl));
        EXPECT_TRUE(close(ops::rms_norm(x, Tensor(), 1e-6), want_nw, tol_for(dt)));
      }
  });
  // bf16 semantics: the normalised value is rounded to bf16 *before* the weight multiply
  const Tensor x = Tensor::from_vector<float>({1.0f, 2.0f, 3.0f}).to(DType::BFloat16);
  const Tensor w = Tensor::full({3}, 1.0 + 1.0 / 128, DType::BFloat16);
  const auto got = ops::rms_norm(x, w, 1e-6).to_vector<double>();
  const float rs = 1.0f / std::sqrt((1.0f + 4.0f + 9.0f) / 3.0f + 1e-6f);
  for (int j = 0; j < 3; ++j) {
    const float h = transformers::bf16_to_float(transformers::float_to_bf16(float(j + 1) * rs));
    const float want = transformers::bf16_to_float(transformers::float_to_bf16(float(1.0 + 1.0 / 128) * h));
    EXPECT_EQ(got[size_t(j)], double(want)) << j;
  }
}
