// Our float32 GEMM / GEMV engine (src/ops/cpu/sgemm*, AVX-512 and AVX2 levels) against
// a double-precision reference at every kernel level, for odd
// shapes, both operand layouts, leading dims wider than the matrix (padding filled with NaN so a
// read past a row shows up), bias / accumulate, and float32 / bfloat16 / float16 B; plus the public
// ops (linear, matmul, addmm_conv1d) that route to it, at every kernel level this CPU has.
//
// Tolerance: float32 accumulation of K products (blocked and lane-split in any order) has the
// worst-case bound |got - exact| <= gamma_{K+2} * sum_k |a_k b_k| (+ the same for bias / C terms),
// gamma_n = n u / (1 - n u), u = 2^-24 (Higham, Accuracy and Stability, 3.1). We check that bound
// elementwise against sum |a||b| computed in double: a wrong index or a lost term is an O(1) error.
#include <array>
#include <cstring>
#include <limits>

#include "op_test_util.hpp"
#include "ops/cpu/gemm_task_claim.hpp"
#include "ops/cpu/sgemm.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/ops/matmul.hpp"

using namespace optest;
namespace ops = transformers::ops;
namespace d = transformers::ops::detail;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> uniform(size_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng());
  return v;
}

uint16_t to16(float f, d::BKind kind) {
  return kind == d::BKind::BF16 ? transformers::float_to_bf16(f) : transformers::float_to_fp16(f);
}
float from16(uint16_t h, d::BKind kind) {
  return kind == d::BKind::BF16 ? transformers::bf16_to_float(h) : transformers::fp16_to_float(h);
}

// A logical R x C matrix stored row-major (trans == false: element (r, c) at r*ld + c) or as its
// transpose (element (r, c) at c*ld + r), ld wider than needed and the slack filled with NaN.
struct Stored {
  int64_t R = 0, C = 0, ld = 1;
  bool trans = false;
  std::vector<float> logical;  // R x C row-major, exact values (already rounded for 16-bit)
  std::vector<float> f32;      // storage
  std::vector<uint16_t> h16;   // storage for 16-bit kinds
  d::BKind kind = d::BKind::F32;

  Stored(int64_t r, int64_t c, bool t, d::BKind k, int64_t pad) : R(r), C(c), trans(t), kind(k) {
    logical = uniform(size_t(R * C));
    if (kind != d::BKind::F32)
      for (auto& x : logical) x = from16(to16(x, kind), kind);
    const int64_t inner = trans ? R : C, outer = trans ? C : R;
    ld = std::max<int64_t>(inner, 1) + pad;
    const size_t total = size_t(std::max<int64_t>(outer, 1) * ld);
    if (kind == d::BKind::F32) f32.assign(total, kNaN);
    else h16.assign(total, to16(kNaN, kind));
    for (int64_t i = 0; i < R; ++i)
      for (int64_t j = 0; j < C; ++j) {
        const size_t at = size_t(trans ? j * ld + i : i * ld + j);
        if (kind == d::BKind::F32) f32[at] = logical[size_t(i * C + j)];
        else h16[at] = to16(logical[size_t(i * C + j)], kind);
      }
  }
  d::GemmOperand op() const {
    d::GemmOperand o;
    o.p = kind == d::BKind::F32 ? static_cast<const void*>(f32.data()) : static_cast<const void*>(h16.data());
    o.rs = trans ? 1 : ld;
    o.cs = trans ? ld : 1;
    o.kind = kind;
    return o;
  }
};

struct Case {
  int64_t M, N, K;
  bool a_trans, b_trans;
  d::BKind kind;
  bool bias, accumulate;
};

std::string describe(const Case& c) {
  return "M=" + std::to_string(c.M) + " N=" + std::to_string(c.N) + " K=" + std::to_string(c.K) +
         " a_trans=" + std::to_string(c.a_trans) + " b_trans=" + std::to_string(c.b_trans) +
         " kind=" + std::to_string(int(c.kind)) + " bias=" + std::to_string(c.bias) + " acc=" + std::to_string(c.accumulate);
}

// Runs one engine call (gemm, or gemv when use_gemv) and checks every element against the bound,
// and that C's padding columns were not written.
void check_case(const Case& c, bool use_gemv) {
  SCOPED_TRACE(describe(c) + (use_gemv ? " gemv" : " gemm"));
  const Stored A(c.M, c.K, c.a_trans && !use_gemv, d::BKind::F32, 3);
  const Stored B(c.K, c.N, c.b_trans, c.kind, 5);
  const std::vector<float> bias = uniform(size_t(c.N));
  const int64_t ldc = c.N + 7;
  std::vector<float> C(size_t(std::max<int64_t>(c.M, 1) * ldc), kNaN);
  const std::vector<float> c0 = uniform(size_t(c.M * c.N));
  for (int64_t m = 0; m < c.M; ++m)
    for (int64_t n = 0; n < c.N; ++n) C[size_t(m * ldc + n)] = c.accumulate ? c0[size_t(m * c.N + n)] : kNaN;
  bool ran;
  if (use_gemv)
    ran = d::sgemv(c.M, c.N, c.K, A.f32.data(), A.ld, B.op(), C.data(), ldc, c.bias ? bias.data() : nullptr);
  else
    ran = d::sgemm(c.M, c.N, c.K, A.op(), B.op(), C.data(), ldc, c.bias ? bias.data() : nullptr, c.accumulate);
  ASSERT_EQ(ran, d::own_sgemm_available());  // AVX-512 and AVX2: ours; scalar: refused (BLAS)
  if (!ran) return;
  const double u = std::ldexp(1.0, -24), n = double(c.K + 2), gamma = n * u / (1 - n * u);
  int bad = 0;
  for (int64_t m = 0; m < c.M; ++m) {
    for (int64_t j = 0; j < c.N; ++j) {
      double s = 0, sabs = 0;
      for (int64_t k = 0; k < c.K; ++k) {
        const double p = double(A.logical[size_t(m * c.K + k)]) * double(B.logical[size_t(k * c.N + j)]);
        s += p;
        sabs += std::fabs(p);
      }
      if (c.bias) s += bias[size_t(j)], sabs += std::fabs(bias[size_t(j)]);
      if (c.accumulate && !use_gemv) s += c0[size_t(m * c.N + j)], sabs += std::fabs(c0[size_t(m * c.N + j)]);
      const double got = C[size_t(m * ldc + j)];
      const double tol = gamma * sabs + 1e-30;
      if (!(std::fabs(got - s) <= tol) && bad++ < 4)
        ADD_FAILURE() << "C[" << m << "," << j << "] = " << got << ", want " << s << " (tol " << tol << ")";
    }
    for (int64_t j = c.N; j < ldc; ++j)
      if (!std::isnan(C[size_t(m * ldc + j)]) && bad++ < 4) ADD_FAILURE() << "padding C[" << m << "," << j << "] written";
  }
  EXPECT_EQ(bad, 0);
}

const std::vector<int64_t> kSmall = {1, 2, 3, 17, 31, 33};

}  // namespace

TEST(Sgemm, SmallShapesAllLayouts) {
  for_each_level([] {
    for (int64_t M : kSmall)
      for (int64_t N : kSmall)
        for (int64_t K : kSmall)
          for (int lay = 0; lay < 4; ++lay)
            check_case({M, N, K, bool(lay & 1), bool(lay & 2), d::BKind::F32, (M + N) % 2 == 0, (N + K) % 3 == 0}, false);
  });
}

TEST(Sgemm, LargerOddShapesAndEdges) {
  // Edges of every blocking level (AVX-512: MR = 8, NR = 48, KC = 192; AVX2: MR = 6, NR = 16,
  // KC = 256; tasks of 192 columns): exact multiples, one over and one under.
  const std::vector<std::array<int64_t, 3>> shapes = {
      {127, 129, 513}, {129, 513, 127}, {513, 127, 129}, {8, 48, 192},  {16, 96, 193},  {9, 49, 191},
      {7, 47, 385},    {14, 32, 256},   {28, 64, 257},   {15, 33, 255}, {200, 385, 300}, {1, 770, 40},
      {600, 31, 70},   {45, 1100, 17},  {6, 16, 256},    {13, 193, 257}, {3, 3, 0},       {17, 31, 0}};
  for_each_level([&] {
    for (const auto& s : shapes)
      for (int lay = 0; lay < 4; ++lay)
        for (int ba = 0; ba < 2; ++ba)
          check_case({s[0], s[1], s[2], bool(lay & 1), bool(lay & 2), d::BKind::F32, bool(ba), !ba}, false);
  });
}

TEST(Sgemm, SixteenBitB) {
  const std::vector<std::array<int64_t, 3>> shapes = {{1, 1, 1}, {3, 17, 31}, {33, 31, 17}, {129, 127, 513}, {40, 70, 300}};
  for_each_level([&] {
    for (d::BKind kind : {d::BKind::BF16, d::BKind::F16})
      for (const auto& s : shapes)
        for (bool bt : {false, true}) check_case({s[0], s[1], s[2], false, bt, kind, true, false}, false);
  });
}

TEST(Sgemv, FewRowsBothLayouts) {
  const std::vector<int64_t> ns = {1, 2, 3, 5, 17, 33, 127, 1029}, ks = {1, 3, 16, 17, 63, 64, 65, 129, 600, 0};
  for_each_level([&] {
    for (int64_t M = 1; M <= d::kGemvMaxRows; ++M)
      for (int64_t N : ns)
        for (int64_t K : ks)
          for (d::BKind kind : {d::BKind::F32, d::BKind::BF16, d::BKind::F16})
            for (bool bt : {false, true})
              if (kind == d::BKind::F32 || (N % 2 && K % 3 == 0))
                check_case({M, N, K, false, bt, kind, (N + K) % 2 == 1, false}, true);
  });
  // More rows than the GEMV kernel takes: refused (the caller uses the GEMM).
  float x[8] = {}, y[8] = {}, w[8] = {};
  d::GemmOperand B{w, 1, 1, d::BKind::F32};
  EXPECT_FALSE(d::sgemv(d::kGemvMaxRows + 1, 1, 1, x, 1, B, y, 1, nullptr));
}

// Decode-sized products (GPT-2's Conv1D [K, N] and a tall Linear [N, K]) split over pool threads:
// three threads so the column / row ranges split unevenly and end off a vector boundary (N odd),
// each range streaming every weight row; checked elementwise against the double reference.
TEST(Sgemv, DecodeShapesSplitOverThreads) {
  const int saved = transformers::get_num_threads();
  transformers::set_num_threads(3);
  const std::vector<std::array<int64_t, 2>> nk = {{2304, 768}, {771, 3072}, {5001, 96}};
  for_each_level([&] {
    for (int64_t M : {1, 3})
      for (const auto& s : nk)
        for (d::BKind kind : {d::BKind::F32, d::BKind::BF16, d::BKind::F16})
          for (bool bt : {false, true}) check_case({M, s[0], s[1], false, bt, kind, bt == (M == 1), false}, true);
  });
  transformers::set_num_threads(saved);
}

// Two threads on products whose K fits one k block (AVX-512 KC = 192, AVX2 256) and whose columns
// make two or three tasks: a thread claims its next task early only once every thread holds one
// (gemm_task_claim.hpp); before, the caller claimed both tasks of such a product at its start and
// ran it alone (1024 x 384 x 128: as slow on two threads as on one). Checks the rule, and the
// results of the claim-when-done path against the double reference.
TEST(Sgemm, OneKBlockFewTasksOnTwoThreads) {
  EXPECT_FALSE(d::may_claim_ahead(0, 2));
  EXPECT_FALSE(d::may_claim_ahead(1, 2));
  EXPECT_TRUE(d::may_claim_ahead(2, 2));
  EXPECT_TRUE(d::may_claim_ahead(1, 1));
  const int saved = transformers::get_num_threads();
  transformers::set_num_threads(2);
  const std::vector<std::array<int64_t, 3>> shapes = {{256, 384, 128}, {200, 385, 190}, {130, 600, 64}};
  for_each_level([&] {
    for (const auto& s : shapes)
      for (bool bt : {false, true}) check_case({s[0], s[1], s[2], false, bt, d::BKind::F32, bt, false}, false);
  });
  transformers::set_num_threads(saved);
}

// The public ops that route float32 and 16-bit products to the engine (AVX-512) or to OpenBLAS
// (other levels), against the double reference with the same bound.
TEST(Sgemm, PublicOpsRouteToEngine) {
  for_each_level([] {
    for (int64_t M : {1, 2, 5, 200})
      for (auto [N, K] : std::vector<std::pair<int64_t, int64_t>>{{33, 129}, {770, 65}, {3, 513}}) {
        SCOPED_TRACE("M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K));
        const Tensor x = random({M, K}, DType::Float32, -1, 1), w = random({N, K}, DType::Float32, -1, 1);
        const Tensor b = random({N}, DType::Float32, -1, 1);
        const auto xv = x.to_vector<double>(), wv = w.to_vector<double>(), bv = b.to_vector<double>();
        Ref lin({M, N}), mm({M, N}), conv({M, N});
        double worst_abs = 0;
        for (int64_t m = 0; m < M; ++m)
          for (int64_t n = 0; n < N; ++n) {
            double s = 0, sa = 0;
            for (int64_t k = 0; k < K; ++k) s += xv[size_t(m * K + k)] * wv[size_t(n * K + k)], sa += std::fabs(xv[size_t(m * K + k)] * wv[size_t(n * K + k)]);
            mm.v[size_t(m * N + n)] = s;
            lin.v[size_t(m * N + n)] = conv.v[size_t(m * N + n)] = s + bv[size_t(n)];
            worst_abs = std::max(worst_abs, sa + 1);
          }
        const double u = std::ldexp(1.0, -24), gamma = double(K + 2) * u / (1 - double(K + 2) * u);
        const Tol tol{0, gamma * worst_abs};
        EXPECT_TRUE(close(ops::linear(x, w, b), lin, tol));
        EXPECT_TRUE(close(ops::matmul(x, w.t()), mm, tol));                       // B transposed view
        EXPECT_TRUE(close(ops::matmul(x, w.t().contiguous()), mm, tol));          // B row-major
        EXPECT_TRUE(close(ops::addmm_conv1d(x, w.t().contiguous(), b), conv, tol));  // GPT-2 Conv1D [K, N]
        EXPECT_TRUE(close(ops::addmm_conv1d(x, w.t(), b), conv, tol));
        // bf16 weight, many rows: packed straight from bf16; output rounded to bf16 (eps 2^-8 relative)
        const Tensor w16 = w.to(DType::BFloat16), x16 = x.to(DType::BFloat16);
        const auto x16v = x16.to_vector<double>(), w16v = w16.to_vector<double>();
        Ref l16({M, N});
        for (int64_t m = 0; m < M; ++m)
          for (int64_t n = 0; n < N; ++n) {
            double s = transformers::bf16_to_float(transformers::float_to_bf16(float(bv[size_t(n)])));
            for (int64_t k = 0; k < K; ++k) s += x16v[size_t(m * K + k)] * w16v[size_t(n * K + k)];
            l16.v[size_t(m * N + n)] = s;
          }
        EXPECT_TRUE(close(ops::linear(x16, w16, b.to(DType::BFloat16)), l16, Tol{1.0 / 128, gamma * worst_abs}));
        EXPECT_TRUE(close(ops::addmm_conv1d(x16, w16.t().contiguous(), b.to(DType::BFloat16)), l16,
                          Tol{1.0 / 128, gamma * worst_abs}));
      }
  });
}

// Batched float32 products (eager attention's per-head q.k^T): the slices run in parallel, each on
// one thread of the engine; broadcast batch dims and a transposed view as in attention.
TEST(Sgemm, BatchedSlicesInParallel) {
  for_each_level([] {
    const Tensor q = random({2, 5, 17, 64}, DType::Float32, -1, 1), k = random({2, 1, 33, 64}, DType::Float32, -1, 1);
    const Tensor got = ops::matmul(q, k.transpose(2, 3));
    const auto qv = q.to_vector<double>(), kv = k.to_vector<double>();
    Ref want({2, 5, 17, 33});
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t h = 0; h < 5; ++h)
        for (int64_t i = 0; i < 17; ++i)
          for (int64_t j = 0; j < 33; ++j) {
            double s = 0;
            for (int64_t d = 0; d < 64; ++d) s += qv[size_t(((b * 5 + h) * 17 + i) * 64 + d)] * kv[size_t((b * 33 + j) * 64 + d)];
            want.v[size_t(((b * 5 + h) * 17 + i) * 33 + j)] = s;
          }
    // |q.k| terms <= 1, K = 64: gamma_66 * 64 bounds the float32 accumulation error
    const double u = std::ldexp(1.0, -24);
    EXPECT_TRUE(close(got, want, Tol{0, 66 * u / (1 - 66 * u) * 64}));
  });
}
