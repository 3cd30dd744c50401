// matmul / bmm / linear / addmm_conv1d against a double reference, including the 16-bit GEMV
// (few rows) and panel (many rows) paths at every kernel level.
#include "op_test_util.hpp"
#include "transformers/ops/matmul.hpp"

using namespace optest;
namespace ops = transformers::ops;

namespace {
// Reference for [..., M, K] @ [..., K, N] with broadcast batch dims (inputs already >= 2-D).
Ref ref_mm(const Ref& a, const Ref& b) {
  const int64_t M = a.shape[a.shape.size() - 2], K = a.shape.back(), N = b.shape.back();
  const Shape ab(a.shape.begin(), a.shape.end() - 2), bb(b.shape.begin(), b.shape.end() - 2);
  Shape os = transformers::broadcast_shapes(ab, bb);
  const Shape batch = os;
  os.push_back(M);
  os.push_back(N);
  Ref o(os);
  for (int64_t i = 0; i < o.numel(); ++i) {
    auto idx = unravel(i, os);
    const int64_t m = idx[idx.size() - 2], n = idx.back();
    double s = 0;
    for (int64_t k = 0; k < K; ++k) {
      auto ia = idx, ib = idx;
      ia[ia.size() - 2] = m; ia.back() = k;
      ib[ib.size() - 2] = k; ib.back() = n;
      s += a.bcast(ia) * b.bcast(ib);
    }
    o.v[size_t(i)] = s;
  }
  return o;
}
Tol mm_tol(DType dt, int64_t K) {
  Tol t = tol_for(dt);
  // float32 accumulation over K terms of size <= 4: absolute error grows ~ sqrt(K) * eps32 * 4
  t.atol = std::max(t.atol, 4e-6 * double(K));
  if (dt == DType::Float16 || dt == DType::BFloat16) t.atol = std::max(t.atol, tol_for(dt).rtol * 2);
  return t;
}
}  // namespace

TEST(Matmul, ShapesBroadcastLayoutsDtypes) {
  struct C { Shape a, b; };
  const std::vector<C> cases = {
      {{5}, {5}}, {{3, 5}, {5}}, {{5}, {5, 4}}, {{3, 5}, {5, 4}}, {{2, 3, 5}, {5, 4}}, {{2, 1, 3, 5}, {4, 5, 6}},
      {{2, 3, 5}, {2, 5, 4}}, {{3, 0}, {0, 4}}, {{0, 5}, {5, 4}}, {{2, 3, 5}, {5}}, {{17, 33}, {33, 19}},
  };
  for (DType dt : {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16, DType::Int64})
    for (const auto& c : cases)
      for (bool nc : {false, true}) {
        SCOPED_TRACE(name(dt) + " " + transformers::shape_str(c.a) + " @ " + transformers::shape_str(c.b) + (nc ? " nc" : ""));
        Tensor a = random(c.a, dt), b = random(c.b, dt);
        Ref ra = Ref::of(a), rb = Ref::of(b);
        if (nc) { a = noncontig(a); b = noncontig(b); }
        const Tensor got = ops::matmul(a, b);
        EXPECT_EQ(got.dtype(), dt);
        // reference: promote 1-D like torch, then drop the added dims
        Shape want_shape;
        if (ra.shape.size() == 1 && rb.shape.size() == 1) want_shape = {};
        else if (ra.shape.size() == 1) { want_shape = rb.shape; want_shape.erase(want_shape.end() - 2); }
        else if (rb.shape.size() == 1) { want_shape = ra.shape; want_shape.pop_back(); }
        if (ra.shape.size() == 1) ra.shape.insert(ra.shape.begin(), 1);
        if (rb.shape.size() == 1) rb.shape.push_back(1);
        Ref want = ref_mm(ra, rb);
        if (c.a.size() == 1 || c.b.size() == 1) want.shape = want_shape;
        EXPECT_TRUE(close(got, want, dt == DType::Int64 ? Tol{0, 0} : mm_tol(dt, c.a.back())));
      }
  EXPECT_THROW(ops::matmul(Tensor::ones({2, 3}), Tensor::ones({4, 2})), transformers::ShapeError);
  EXPECT_THROW(ops::matmul(Tensor::ones({}), Tensor::ones({2})), transformers::ShapeError);
  EXPECT_THROW(ops::bmm(Tensor::ones({2, 3, 4}), Tensor::ones({3, 4, 2})), transformers::ShapeError);
  const Tensor a = random({3, 4, 5}, DType::Float32), b = random({3, 5, 2}, DType::Float32);
  EXPECT_TRUE(close(ops::bmm(a, b), ref_mm(Ref::of(a), Ref::of(b)), mm_tol(DType::Float32, 5)));
}

TEST(Matmul, LinearAllPathsAllLevels) {
  for_each_level([] {
    for (DType dt : {DType::Float32, DType::BFloat16, DType::Float16, DType::Float64})
      for (int64_t M : {1, 3, 5, 17, 40})
        for (const auto& [K, N] : std::vector<std::pair<int64_t, int64_t>>{{64, 32}, {37, 11}, {130, 9}, {16, 1}, {20, 150}})
          for (bool bias : {false, true}) {
            SCOPED_TRACE(name(dt) + " M " + std::to_string(M) + " K " + std::to_string(K) + " N " + std::to_string(N) + (bias ? " bias" : ""));
            const Tensor x = random({M, K}, dt), w = random({N, K}, dt), b = bias ? random({N}, dt) : Tensor();
            const Ref rx = Ref::of(x), rw = Ref::of(w);
            const auto rb = bias ? b.to_vector<double>() : std::vector<double>();
            Ref want(Shape{M, N});
            for (int64_t m = 0; m < M; ++m)
              for (int64_t n = 0; n < N; ++n) {
                double s = bias ? rb[size_t(n)] : 0;
                for (int64_t k = 0; k < K; ++k) s += rx.v[size_t(m * K + k)] * rw.v[size_t(n * K + k)];
                want.v[size_t(m * N + n)] = s;
              }
            const Tensor y = ops::linear(x, w, b);
            EXPECT_EQ(y.dtype(), dt);
            EXPECT_TRUE(close(y, want, mm_tol(dt, K)));
            // 3-D input and a non-contiguous x give the same numbers
            Ref want3 = want;
            want3.shape = {1, M, N};
            EXPECT_TRUE(close(ops::linear(noncontig(x).unsqueeze(0), w, b), want3, mm_tol(dt, K)));
            // Conv1D layout: weight [in, out]
            EXPECT_TRUE(close(ops::addmm_conv1d(x, w.t().contiguous(), b), want, mm_tol(dt, K)));
            // Conv1D weight whose rows are longer than N (a column slice of a wider matrix)
            Tensor wide = Tensor::zeros({K, N + 3}, dt);
            wide.narrow(1, 0, N).copy_(w.t());
            EXPECT_TRUE(close(ops::addmm_conv1d(x, wide.narrow(1, 0, N), b), want, mm_tol(dt, K)));
          }
  });
  // a transposed (non-contiguous) float32 weight view is read in place
  const Tensor x = random({2, 8}, DType::Float32), wt = random({8, 6}, DType::Float32);
  const Tensor y = ops::linear(x, wt.t(), Tensor());
  EXPECT_TRUE(close(y, Ref::of(ops::matmul(x, wt)), mm_tol(DType::Float32, 8)));
  EXPECT_TRUE(close(ops::linear(x.narrow(0, 0, 1), wt.t(), Tensor()), Ref::of(ops::matmul(x.narrow(0, 0, 1), wt)), mm_tol(DType::Float32, 8)));
  // zero-size
  EXPECT_EQ(ops::linear(Tensor::ones({0, 4}), Tensor::ones({3, 4}), Tensor()).sizes(), (Shape{0, 3}));
  EXPECT_EQ(ops::linear(Tensor::ones({2, 0}), Tensor::ones({3, 0}), Tensor::ones({3})).to_vector<double>(), std::vector<double>(6, 1.0));
  EXPECT_THROW(ops::linear(Tensor::ones({2, 4}), Tensor::ones({3, 5}), Tensor()), transformers::ShapeError);
  EXPECT_THROW(ops::linear(Tensor::ones({2, 4}), Tensor::ones({3, 4}), Tensor::ones({2})), transformers::ShapeError);
}
