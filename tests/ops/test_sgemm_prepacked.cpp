// Prepacked B (sgemm_pack_b + sgemm_prepacked) and the packed-weight cache of float32 Linear
// weights (src/ops/cpu/packed_weights.*), at the AVX-512 and AVX2 levels this CPU has.
//
// Tolerance: as in test_sgemm.cpp, the float32 accumulation bound gamma_{K+2} * sum_k |a_k b_k|
// (+ |bias| + |C| terms), gamma_n = n u / (1 - n u), u = 2^-24, checked elementwise against a
// double reference: a wrong panel offset or a lost k block is an O(1) error.
#include <cstring>
#include <limits>

#include "op_test_util.hpp"
#include "ops/cpu/packed_weights.hpp"
#include "ops/cpu/sgemm.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/ops/matmul.hpp"

using namespace optest;
namespace ops = transformers::ops;
namespace d = transformers::ops::detail;

namespace {

std::vector<float> uniform(size_t n) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng());
  return v;
}

// Elementwise |a - b| <= tol * (1 + |b|) between two float32 results of different kernels (both
// float32 accumulations of at most a few hundred terms of magnitude ~1: ~1e-5 apart at most).
::testing::AssertionResult near(const Tensor& a, const Tensor& b, double tol) {
  if (a.sizes() != b.sizes()) return ::testing::AssertionFailure() << "shapes differ";
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  for (size_t i = 0; i < x.size(); ++i)
    if (!(std::abs(x[i] - y[i]) <= tol * (1.0 + std::abs(y[i]))))
      return ::testing::AssertionFailure() << "[" << i << "] " << x[i] << " vs " << y[i];
  return ::testing::AssertionSuccess();
}

double gamma(int64_t n) {
  const double u = std::ldexp(1.0, -24);
  return double(n) * u / (1.0 - double(n) * u);
}

// Levels with an own GEMM (AVX-512, AVX2) this CPU has. A CPU with AVX2 must yield at least one:
// a loop over none would check nothing and pass.
std::vector<KernelLevel> own_levels() {
  std::vector<KernelLevel> out;
  for (KernelLevel l : levels())
    if (l != KernelLevel::Scalar) out.push_back(l);
  if (transformers::cpu_features().avx2) EXPECT_FALSE(out.empty()) << "CPU has AVX2 but no own-GEMM level ran";
  return out;
}

// C = A[M,K] . B(K,N) + bias (+ C0 when accumulate) with B packed once, against double.
void check_prepacked(int64_t M, int64_t N, int64_t K, bool b_rows_along_k, bool accumulate) {
  SCOPED_TRACE("M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K) +
               (b_rows_along_k ? " B=[N,K] (Linear weight)" : " B=[K,N]") + (accumulate ? " accumulate" : ""));
  const std::vector<float> a = uniform(size_t(M * K)), b = uniform(size_t(K * N)), bias = uniform(size_t(N)),
                           c0 = uniform(size_t(M * N));
  // b holds B(k, n) at b_rows_along_k ? n*K + k : k*N + n
  auto B = [&](int64_t k, int64_t n) { return double(b[size_t(b_rows_along_k ? n * K + k : k * N + n)]); };
  d::GemmOperand opB{b.data(), b_rows_along_k ? 1 : N, b_rows_along_k ? K : 1, d::BKind::F32};
  const int64_t floats = d::sgemm_prepacked_b_floats(K, N);
  ASSERT_GE(floats, K * N);
  std::vector<float> packed(size_t(floats) + 64, std::numeric_limits<float>::quiet_NaN());
  float* pk = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(packed.data()) + 63) / 64 * 64);
  ASSERT_TRUE(d::sgemm_pack_b(K, N, opB, pk));
  std::vector<float> c = c0;
  ASSERT_TRUE(d::sgemm_prepacked(M, N, K, d::GemmOperand{a.data(), K, 1, d::BKind::F32}, pk, c.data(), N, bias.data(),
                                 accumulate));
  int bad = 0;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double ref = double(bias[size_t(n)]) + (accumulate ? double(c0[size_t(m * N + n)]) : 0.0), mag = std::abs(ref);
      for (int64_t k = 0; k < K; ++k) {
        const double p = double(a[size_t(m * K + k)]) * B(k, n);
        ref += p;
        mag += std::abs(p);
      }
      const double got = c[size_t(m * N + n)];
      if (!(std::abs(got - ref) <= gamma(K + 2) * mag) && bad++ < 5)
        ADD_FAILURE() << "C(" << m << "," << n << ") = " << got << ", expected " << ref << " (bound " << gamma(K + 2) * mag << ")";
    }
  EXPECT_EQ(bad, 0);
}

}  // namespace

// Odd shapes: N not a multiple of either level's strip (48 / 16), K across several k blocks
// (192 / 256) with a partial last one, M with a partial row strip; both layouts of B.
TEST(SgemmPrepacked, MatchesDoubleReference) {
  const KernelLevel saved = transformers::kernel_level();
  for (KernelLevel l : own_levels()) {
    transformers::force_kernel_level(l);
    SCOPED_TRACE(transformers::kernel_level_name(l));
    for (bool rows_along_k : {true, false}) {
      check_prepacked(37, 101, 533, rows_along_k, false);
      check_prepacked(128, 96, 200, rows_along_k, true);
      check_prepacked(5, 7, 3, rows_along_k, false);
    }
    transformers::set_num_threads(1);
    check_prepacked(64, 150, 400, true, false);
    transformers::set_num_threads(2);
  }
  transformers::force_kernel_level(saved);
}

// The cache is used for read-only weights (a mapped checkpoint) and gives the per-call result.
TEST(PackedWeights, ReadOnlyWeightCachedAndCorrect) {
  if (!d::packed_weights_enabled()) GTEST_SKIP() << "TRANSFORMERS_PACKED_WEIGHTS=0";
  const KernelLevel saved = transformers::kernel_level();
  for (KernelLevel l : own_levels()) {
    transformers::force_kernel_level(l);
    SCOPED_TRACE(transformers::kernel_level_name(l));
    d::clear_packed_weights();
    const int64_t M = 33, K = 300, N = 70;
    auto wbuf = std::make_shared<std::vector<float>>(uniform(size_t(N * K)));
    const Tensor w_ro = Tensor::from_blob(wbuf->data(), {N, K}, DType::Float32, wbuf, /*read_only=*/true);
    const Tensor w_rw = w_ro.clone();  // writable copy: packed per call
    const Tensor x = random({M, K}, DType::Float32), bias = random({N}, DType::Float32);
    const Tensor ref = ops::linear(x, w_rw, bias);
    EXPECT_EQ(d::packed_weight_stats().entries, 0) << "a writable weight must not be cached";
    const Tensor y1 = ops::linear(x, w_ro, bias);
    const Tensor y2 = ops::linear(x, w_ro, bias);
    const d::PackedWeightStats st = d::packed_weight_stats();
    EXPECT_EQ(st.entries, 1);
    EXPECT_EQ(st.misses, 1);
    EXPECT_EQ(st.hits, 1);
    EXPECT_GE(st.bytes, N * K * 4);
    // Same kernel, same packing, same summation order: bitwise equal to the per-call path.
    EXPECT_EQ(std::memcmp(y1.data<float>(), ref.data<float>(), size_t(M * N) * 4), 0);
    EXPECT_EQ(std::memcmp(y2.data<float>(), ref.data<float>(), size_t(M * N) * 4), 0);
    // A [K, N] weight used through its transposed view (GPT-2's Conv1D weight.t()): packed per call
    // in a prefill-shaped product (its pack is a plain copy), cached for a decode-shaped one (at
    // most kDecodeMaxRows rows: a batched decode step); the same result either way.
    const Tensor wt = w_ro.t().contiguous();  // [K, N] writable data ...
    auto tbuf = std::make_shared<std::vector<float>>(wt.data<float>(), wt.data<float>() + N * K);
    const Tensor wt_ro = Tensor::from_blob(tbuf->data(), {K, N}, DType::Float32, tbuf, true);
    const Tensor xp = random({d::kDecodeMaxRows + 1, K}, DType::Float32);
    EXPECT_TRUE(near(ops::linear(xp, wt_ro.t(), bias), ops::linear(xp, w_rw, bias), 1e-4));
    EXPECT_EQ(d::packed_weight_stats().entries, 1);
    const Tensor y3 = ops::linear(x, wt_ro.t(), bias);  // ... read-only again, viewed as [N, K]
    EXPECT_TRUE(near(y3, ref, 1e-4));
    EXPECT_EQ(d::packed_weight_stats().entries, 2);
    // In place writes into a read-only weight are refused, so a cached entry cannot go stale.
    EXPECT_ANY_THROW(Tensor(w_ro).fill_(0.0));
    // Few rows (decode) use the GEMV, not the cache.
    const int64_t before = d::packed_weight_stats().hits;
    ops::linear(random({2, K}, DType::Float32), w_ro, bias);
    EXPECT_EQ(d::packed_weight_stats().hits, before);
  }
  transformers::force_kernel_level(saved);
  d::clear_packed_weights();
}

// A weight modified in place after a forward changes the next forward's output (writable
// weights are never cached), and a freed read-only weight's entry is dropped.
TEST(PackedWeights, InPlaceChangeAndFreedStorage) {
  d::clear_packed_weights();
  const int64_t M = 40, K = 64, N = 50;
  const Tensor x = random({M, K}, DType::Float32);
  Tensor w = random({N, K}, DType::Float32);
  const Tensor y0 = ops::linear(x, w, Tensor());
  w.copy_(random({N, K}, DType::Float32));
  const Tensor y1 = ops::linear(x, w, Tensor());
  EXPECT_FALSE(near(y0, y1, 1e-3));
  EXPECT_TRUE(near(y1, ops::matmul(x, w.t()), 1e-4));
  {
    auto buf = std::make_shared<std::vector<float>>(uniform(size_t(N * K)));
    const Tensor w_ro = Tensor::from_blob(buf->data(), {N, K}, DType::Float32, buf, true);
    ops::linear(x, w_ro, Tensor());
    if (d::packed_weights_enabled() && d::sgemm_prepacked_b_floats(K, N) > 0) EXPECT_EQ(d::packed_weight_stats().entries, 1);
  }
  // the storage is gone: not counted, and dropped at the next miss
  EXPECT_EQ(d::packed_weight_stats().entries, 0);
  auto buf2 = std::make_shared<std::vector<float>>(uniform(size_t(N * K)));
  const Tensor w2 = Tensor::from_blob(buf2->data(), {N, K}, DType::Float32, buf2, true);
  EXPECT_TRUE(near(ops::linear(x, w2, Tensor()), ops::matmul(x, w2.clone().t()), 1e-4));
  d::clear_packed_weights();
}

// The packed copies live in the weight storage's derived-data slot: destroying the weight frees
// them at once (before issue 19 they stayed allocated until the next cache miss; a destroyed
// BERT-base kept ~340 MB), with no later miss needed to notice.
TEST(PackedWeights, DestroyingTheWeightFreesItsPackedCopy) {
  if (!d::packed_weights_enabled()) GTEST_SKIP() << "TRANSFORMERS_PACKED_WEIGHTS=0";
  d::clear_packed_weights();
  const int64_t M = 40, K = 64, N = 50;
  if (d::sgemm_prepacked_b_floats(K, N) <= 0) GTEST_SKIP() << "no own GEMM kernel at this level";
  const Tensor x = random({M, K}, DType::Float32);
  std::weak_ptr<transformers::Storage> storage;
  {
    auto buf = std::make_shared<std::vector<float>>(uniform(size_t(N * K)));
    const Tensor w = Tensor::from_blob(buf->data(), {N, K}, DType::Float32, buf, /*read_only=*/true);
    storage = w.storage();
    ops::linear(x, w, Tensor());
    ops::linear(x, w.narrow(0, 0, N - 2), Tensor());  // a second view of the same storage: its own copy
    const d::PackedWeightStats st = d::packed_weight_stats();
    EXPECT_EQ(st.entries, 2);
    EXPECT_GE(st.bytes, (2 * N - 2) * K * 4);
  }
  EXPECT_TRUE(storage.expired());
  const d::PackedWeightStats after = d::packed_weight_stats();
  EXPECT_EQ(after.entries, 0);
  EXPECT_EQ(after.bytes, 0);
  EXPECT_EQ(after.misses, 2);  // freed without another miss
  d::clear_packed_weights();
}
