// The int8 compute type's kernels (issue 27, src/ops/cpu/int8_gemm*): linear / addmm_conv1d with a
// float32 weight given an int8 copy by ops::quantize_weight_int8, at every kernel level this CPU has
// (the test prints them), against the float64 product of the dequantized weight sw[n] * qw[n][k].
//
// Bound per output (normalised so compare.hpp checks |err| / bound <= 1): the activation's rounding
// to its per-row int8 grid, sx/2 * sum_k |wdeq[n][k]| with sx = max_k |x[m][k]| / 127 (the int32 dot
// is exact), plus float32 rounding of the scale product and the epilogue, 1e-6 * (sum_k |x_k *
// wdeq_k| + |bias|). A wrong weight byte, offset or scale errs by ~ |w| * |x|, far beyond sx/2 * |w|.
// Every level must also equal the scalar level bit for bit (same int32 sums, same fused epilogue).
#include <cmath>
#include <cstring>
#include <tuple>
#include <iostream>
#include <limits>

#include "op_test_util.hpp"
#include "ops/cpu/int8_linear.hpp"
#include "transformers/ops/int8.hpp"
#include "transformers/ops/matmul.hpp"

using namespace optest;
namespace ops = transformers::ops;
namespace d = transformers::ops::detail;

namespace {

std::vector<KernelLevel> levels_here() {
  std::vector<KernelLevel> out;
  const KernelLevel saved = transformers::kernel_level();
  for (KernelLevel l : {KernelLevel::Scalar, KernelLevel::Avx2, KernelLevel::Avx512, KernelLevel::Avx512Vnni,
                        KernelLevel::Avx512Bf16}) {
    transformers::force_kernel_level(l);
    if (transformers::kernel_level() == l) out.push_back(l);
  }
  transformers::force_kernel_level(saved);
  return out;
}

Tensor uniform(const Shape& shape, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(size_t(transformers::shape_numel(shape)));
  for (auto& x : v) x = u(rng());
  return Tensor::from_vector(v, shape);
}

// |y - ref| / bound for y = x @ wdeq^T + b, wdeq[n][k] = scale[n] * at(n, k).
std::vector<double> normalised_error(const Tensor& y, const Tensor& x, const d::Int8Weight& q, const Tensor& bias) {
  const int64_t M = x.size(0), K = x.size(1), N = q.N;
  const auto xv = x.to_vector<double>(), yv = y.reshape({M, N}).to_vector<double>();
  const auto bv = bias.defined() ? bias.to_vector<double>() : std::vector<double>(size_t(N), 0.0);
  std::vector<double> out(size_t(M * N));
  for (int64_t m = 0; m < M; ++m) {
    double amax = 0;
    for (int64_t k = 0; k < K; ++k) amax = std::max(amax, std::fabs(xv[size_t(m * K + k)]));
    for (int64_t n = 0; n < N; ++n) {
      double ref = bv[size_t(n)], wsum = 0, prod = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double w = double(q.scale[size_t(n)]) * q.at(n, k), xk = xv[size_t(m * K + k)];
        ref += xk * w;
        wsum += std::fabs(w);
        prod += std::fabs(xk * w);
      }
      const double bound = amax / 127.0 / 2.0 * wsum * (1 + 1e-5) + 1e-6 * (prod + std::fabs(bv[size_t(n)])) + 1e-12;
      out[size_t(m * N + n)] = (yv[size_t(m * N + n)] - ref) / bound;
    }
  }
  return out;
}

}  // namespace

// linear ([out, in]) and addmm_conv1d ([in, out]) over row counts that exercise every row-block
// remainder (VNNI blocks of 6 rows; AVX2: one row through the sign / vpmaddubsw kernel, from 2 rows
// int16 blocks of 5 rows with remainders 2, 3, 4 and 1 (6 = 5 + 1); from 16 rows the VNNI
// level's blocked activations, tiles of 3, 2 and 1 vectors of 16 rows with a partial last vector: 40
// = 16 + 16 + 8, 100 = 3 * 16 + 3 * 16 + 4) and channel counts that end in partial strips, partial
// 8-channel blocks and partial 3-strip blocks; K not a multiple of 4 (and K = 64, no 16-value tail
// in the AVX2 quantizer). 9 row counts x 2 shapes x 2 layouts x 2 bias per level.
TEST(Int8Gemm, EveryLevelWithinActivationRoundingOfTheDequantizedProductAndEqualToScalar) {
  const std::vector<KernelLevel> levels = levels_here();
  ASSERT_EQ(levels.front(), KernelLevel::Scalar);
  std::cout << "[ levels ] ran:";
  for (KernelLevel l : levels) std::cout << ' ' << transformers::kernel_level_name(l);
  std::cout << '\n';
  const KernelLevel saved = transformers::kernel_level();
  int cases = 0;
  for (auto [N, K] : {std::pair<int64_t, int64_t>{40, 67}, {100, 64}}) {
    const Tensor w = uniform({N, K}, -0.5f, 0.5f);
    const Tensor wkn = w.t().contiguous();  // the same weight as Conv1D [in, out]
    const Tensor bias = uniform({N}, -1.0f, 1.0f);
    ASSERT_TRUE(ops::quantize_weight_int8(w, false));
    ASSERT_TRUE(ops::quantize_weight_int8(wkn, true));
    const auto q = d::int8_weight(w, false);
    ASSERT_NE(q, nullptr);
    // The two layouts quantize the same channels to the same bytes and scales.
    const auto qkn = d::int8_weight(wkn, true);
    ASSERT_NE(qkn, nullptr);
    for (int64_t n = 0; n < N; ++n) {
      ASSERT_EQ(q->scale[size_t(n)], qkn->scale[size_t(n)]);
      for (int64_t k = 0; k < K; ++k) ASSERT_EQ(q->at(n, k), qkn->at(n, k));
    }
    for (int64_t M : {1, 2, 3, 4, 6, 9, 13, 40, 100}) {
      const Tensor x = uniform({M, K}, -3.0f, 3.0f);
      for (bool with_bias : {false, true}) {
        const Tensor b = with_bias ? bias : Tensor();
        Tensor scalar_y;
        for (KernelLevel l : levels) {
          transformers::force_kernel_level(l);
          SCOPED_TRACE(std::string("level ") + transformers::kernel_level_name(l) + " M=" + std::to_string(M) +
                       " N=" + std::to_string(N) + " K=" + std::to_string(K) + (with_bias ? " bias" : ""));
          const Tensor y = ops::linear(x, w, b), ykn = ops::addmm_conv1d(x, wkn, b);
          const std::vector<double> zero(size_t(M * N), 0.0);
          EXPECT_TRUE(testcmp::allclose(normalised_error(y, x, *q, b), zero, testcmp::Tolerance{.atol = 1.0}));
          EXPECT_TRUE(testcmp::allclose(ykn, y, testcmp::kExact));
          if (l == KernelLevel::Scalar) scalar_y = y;
          else EXPECT_TRUE(testcmp::allclose(y, scalar_y, testcmp::kExact));
          ++cases;
        }
      }
    }
  }
  transformers::force_kernel_level(saved);
  EXPECT_EQ(cases, int(2 * 9 * 2 * levels.size()));
}

// The largest dot products the scheme allows: every activation and weight at +-127, so each
// product is +-127 * 127, and where row and channel agree mod 3 every sign matches, a dot of K *
// 16129 (66 M at K = 4099; elsewhere about a third of that): a kernel that
// saturates an int16 pair sum or loses an int32 lane gives a different value. Every level equals
// the exact float64 result rounded as the epilogue does, fma(float(dot), sx * sw, 0).
TEST(Int8Gemm, FullScaleDotsExactAtEveryLevel) {
  const int64_t M = 7, K = 4099, N = 24;
  std::vector<float> wv(size_t(N * K)), xv(size_t(M * K));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) wv[size_t(n * K + k)] = ((k + n) % 3 == 0 ? -0.5f : 0.5f);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k) xv[size_t(m * K + k)] = ((k + m) % 3 == 0 ? -3.0f : 3.0f);
  const Tensor w = Tensor::from_vector(wv, {N, K}), x = Tensor::from_vector(xv, {M, K});
  ASSERT_TRUE(ops::quantize_weight_int8(w, false));
  const KernelLevel saved = transformers::kernel_level();
  const float sx = 3.0f / 127.0f, sw = 0.5f / 127.0f;
  for (KernelLevel l : levels_here()) {
    transformers::force_kernel_level(l);
    const std::vector<float> y = ops::linear(x, w, Tensor()).to_vector<float>();
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        int64_t dot = 0;  // signs agree where (k + m) % 3 == 0 == (k + n) % 3 or both differ
        for (int64_t k = 0; k < K; ++k) dot += (((k + m) % 3 == 0) == ((k + n) % 3 == 0)) ? 16129 : -16129;
        const float want = std::fma(float(dot), sx * sw, 0.0f);
        ASSERT_EQ(y[size_t(m * N + n)], want) << transformers::kernel_level_name(l) << " m=" << m << " n=" << n;
      }
  }
  transformers::force_kernel_level(saved);
}

// The weight quantizer at every level (AVX-512: row by row for [N, K], 16 channels per vector for
// [K, N]; other strides the plain loop) gives the scalar level's bytes, scales and offsets, for
// both layouts, channel counts ending in a partial strip and K not a multiple of 4; a non-finite
// value refuses the weight at every level. 3 shapes x 3 layouts per level.
TEST(Int8Gemm, WeightQuantizerEqualsScalarAtEveryLevel) {
  const std::vector<KernelLevel> levels = levels_here();
  const KernelLevel saved = transformers::kernel_level();
  int cases = 0;
  for (auto [N, K] : {std::pair<int64_t, int64_t>{40, 67}, {100, 64}, {7, 3}}) {
    const Tensor w = uniform({N, K}, -0.5f, 0.5f);
    std::vector<float> nk = w.to_vector<float>(), kn(size_t(N * K)), wide(size_t(2 * N * K));
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k) {
        kn[size_t(k * N + n)] = nk[size_t(n * K + k)];
        wide[size_t(n * 2 * K + 2 * k)] = nk[size_t(n * K + k)];  // [N, K] with a k stride of 2
      }
    // {data, ns, ks}: Linear's [N, K], Conv1D's [K, N], a strided view
    const std::vector<std::tuple<const float*, int64_t, int64_t>> layouts = {
        {nk.data(), K, 1}, {kn.data(), 1, N}, {wide.data(), 2 * K, 2}};
    for (const auto& [data, ns, ks] : layouts) {
      std::shared_ptr<d::Int8Weight> ref;
      for (KernelLevel l : levels) {
        transformers::force_kernel_level(l);
        SCOPED_TRACE(std::string("level ") + transformers::kernel_level_name(l) + " N=" + std::to_string(N) +
                     " K=" + std::to_string(K) + " ks=" + std::to_string(ks));
        const auto q = d::int8_quantize_weight(data, N, K, ns, ks);
        ASSERT_NE(q, nullptr);
        if (!ref) ref = q;
        EXPECT_EQ(q->scale, ref->scale);
        EXPECT_EQ(q->offset, ref->offset);
        EXPECT_EQ(std::memcmp(q->q.get(), ref->q.get(), size_t(q->strips() * q->Kp * d::kInt8Strip)), 0);
        ++cases;
      }
    }
    std::vector<float> bad = kn;
    bad[size_t(N * K / 2)] = std::numeric_limits<float>::quiet_NaN();
    for (KernelLevel l : levels) {
      transformers::force_kernel_level(l);
      EXPECT_EQ(d::int8_quantize_weight(bad.data(), N, K, 1, N), nullptr) << transformers::kernel_level_name(l);
    }
  }
  transformers::force_kernel_level(saved);
  EXPECT_EQ(cases, int(3 * 3 * levels.size()));
}

// The weight's per-channel quantization: scale = max |w| / 127 (that element maps to +-127), every
// element within scale / 2 of its dequantized value; a zero channel stays zero.
TEST(Int8Gemm, WeightChannelsScaleToTheirMaximum) {
  Tensor w = uniform({5, 9}, -2.0f, 2.0f);
  std::vector<float> wv = w.to_vector<float>();
  for (int k = 0; k < 9; ++k) wv[size_t(2 * 9 + k)] = 0.0f;
  w = Tensor::from_vector(wv, {5, 9});
  ASSERT_TRUE(ops::quantize_weight_int8(w));
  const auto q = d::int8_weight(w, false);
  for (int64_t n = 0; n < 5; ++n) {
    float amax = 0;
    for (int64_t k = 0; k < 9; ++k) amax = std::max(amax, std::fabs(wv[size_t(n * 9 + k)]));
    EXPECT_EQ(q->scale[size_t(n)], amax / 127.0f);
    int top = 0;
    for (int64_t k = 0; k < 9; ++k) {
      const float v = wv[size_t(n * 9 + k)];
      EXPECT_LE(std::fabs(v - q->scale[size_t(n)] * q->at(n, k)), q->scale[size_t(n)] / 2 * 1.0001f);
      top = std::max(top, std::abs(int(q->at(n, k))));
    }
    EXPECT_EQ(top, n == 2 ? 0 : 127);
  }
  EXPECT_GT(ops::int8_weight_bytes(w), 0);
}

// What keeps the float32 product: a weight with a non-finite value (nothing kept), non-finite
// activations (NaN / inf propagate as in the float product), another view of the weight, a weight
// that is not float32, more than 65536 input features.
TEST(Int8Gemm, FloatProductWhereInt8DoesNotApply) {
  const Tensor w = uniform({24, 32}, -1.0f, 1.0f);
  const Tensor x = uniform({3, 32}, -1.0f, 1.0f);
  const Tensor yf = ops::linear(x, w, Tensor());
  ASSERT_TRUE(ops::quantize_weight_int8(w));
  EXPECT_TRUE(ops::has_int8_weight(w));
  EXPECT_FALSE(ops::has_int8_weight(w, true));
  EXPECT_FALSE(testcmp::allclose(ops::linear(x, w, Tensor()), yf, testcmp::kExact));  // int8 differs

  std::vector<float> xv = x.to_vector<float>();
  xv[5] = std::numeric_limits<float>::quiet_NaN();
  const Tensor xn = Tensor::from_vector(xv, {3, 32});
  std::vector<float> wv = w.to_vector<float>();
  const Tensor wplain = Tensor::from_vector(wv, {24, 32});  // same values, no int8 copy
  EXPECT_TRUE(testcmp::allclose(ops::linear(xn, w, Tensor()), ops::linear(xn, wplain, Tensor()), testcmp::kExact));

  // a narrower view of the same storage has no copy of its own
  const Tensor rows = w.narrow(0, 0, 8);
  EXPECT_FALSE(ops::has_int8_weight(rows));
  EXPECT_TRUE(testcmp::allclose(ops::linear(x, rows, Tensor()), ops::linear(x, wplain.narrow(0, 0, 8), Tensor()),
                                testcmp::kExact));

  wv[7] = std::numeric_limits<float>::infinity();
  const Tensor winf = Tensor::from_vector(wv, {24, 32});
  EXPECT_FALSE(ops::quantize_weight_int8(winf));
  EXPECT_FALSE(ops::has_int8_weight(winf));
  EXPECT_FALSE(ops::quantize_weight_int8(w.to(DType::BFloat16)));
  EXPECT_FALSE(ops::quantize_weight_int8(Tensor::zeros({2, 65537})));
  EXPECT_FALSE(ops::quantize_weight_int8(Tensor::zeros({4})));
  // quantizing again after a failed attempt on the same view drops the old copy
  Tensor wmut = Tensor::from_vector(w.to_vector<float>(), {24, 32});
  ASSERT_TRUE(ops::quantize_weight_int8(wmut));
  wmut.data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(ops::quantize_weight_int8(wmut));
  EXPECT_FALSE(ops::has_int8_weight(wmut));
}
