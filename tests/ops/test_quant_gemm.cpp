// ops::linear with GGML block-quantized weights kept as blocks (src/ops/cpu/quant_gemm*), at every
// kernel level this CPU has (scalar, AVX2, AVX-512, AVX-512 VNNI), against the float64 product of
// the dequantized weight (Tensor::to(float32), bit-exact with gguf-py's dequantize).
//
// Tolerances, per output element (normalised so compare.hpp checks |err| / bound <= 1):
//  - activations on the int8 grid (x = q * 2^-e with a +-127 in every block, so quantizing them is
//    exact): float32 rounding only, bound 1e-5 * sum_k |x_k| * max_k |w_k|. A wrong nibble, scale
//    or offset errs by ~ that sum / sqrt(K), 2000x more at K = 512.
//  - random activations: the int8 rounding of the activations adds at most sum_k |w_k| * d_k / 2
//    (d_k = the block's max |x| / 127), plus the same float32 term.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/compare.hpp"
#include "ops/cpu/quant_gemm.hpp"
#include "transformers/core/cpu_features.hpp"
#include "transformers/core/error.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/core/tensor.hpp"
#include "transformers/ops/indexing.hpp"
#include "transformers/ops/matmul.hpp"
#include "transformers/ops/quantized.hpp"

using namespace transformers;

namespace {

// Every GGML block type has native kernels: the first five in quant_gemm_impl.hpp, Q5_0, Q5_1,
// Q2_K, Q3_K and Q5_K in quant_gemm_q235_impl.hpp.
const std::vector<DType> kNative = {DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q4_K, DType::Q6_K,
                                    DType::Q5_0, DType::Q5_1, DType::Q2_K, DType::Q3_K, DType::Q5_K};

void put_half(uint8_t* p, float f) {
  const uint16_t h = float_to_fp16(f);
  std::memcpy(p, &h, 2);
}

// N x K random weights of type dt: random quant bytes (every bit pattern is a valid quant), the
// fp16 scales set to finite values of a model's size.
Tensor random_blocks(DType dt, int64_t N, int64_t K, std::mt19937& rng) {
  Tensor w = Tensor::empty({N, K}, dt);
  const DTypeTraits& t = dtype_traits(dt);
  const int64_t blocks = N * K / t.block_elems;
  auto* p = static_cast<uint8_t*>(w.data_ptr());
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> scale(0.002f, 0.02f), mn(-0.1f, 0.0f);
  for (int64_t b = 0; b < blocks; ++b) {
    uint8_t* blk = p + b * t.block_bytes;
    for (uint32_t i = 0; i < t.block_bytes; ++i) blk[i] = uint8_t(byte(rng));
    switch (dt) {
      case DType::Q8_0: case DType::Q4_0: put_half(blk, scale(rng)); break;
      case DType::Q4_1: put_half(blk, scale(rng)), put_half(blk + 2, mn(rng)); break;
      case DType::Q4_K: put_half(blk, scale(rng) / 16), put_half(blk + 2, scale(rng) / 16); break;
      case DType::Q6_K: put_half(blk + 208, scale(rng) / 64); break;
      case DType::Q5_0: put_half(blk, scale(rng) / 2); break;
      case DType::Q5_1: put_half(blk, scale(rng) / 2), put_half(blk + 2, mn(rng)); break;
      case DType::Q2_K: put_half(blk + 80, scale(rng) / 4), put_half(blk + 82, scale(rng) / 4); break;
      case DType::Q3_K: put_half(blk + 108, scale(rng) / 16); break;
      case DType::Q5_K: put_half(blk, scale(rng) / 32), put_half(blk + 2, scale(rng) / 32); break;
      default: ADD_FAILURE() << "no scale layout for " << dtype_name(dt); break;
    }
  }
  return w;
}

// Activations: on the int8 grid (exactly representable) or uniform in [-2, 2].
Tensor activations(int64_t M, int64_t K, bool on_grid, std::mt19937& rng) {
  std::vector<float> x(size_t(M * K));
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  std::uniform_int_distribution<int> q(-127, 127), e(2, 9);
  for (int64_t b = 0; b < M * K / 32; ++b) {
    const float d = std::ldexp(1.0f, -e(rng));
    for (int j = 0; j < 32; ++j) x[size_t(b * 32 + j)] = on_grid ? float(q(rng)) * d : u(rng);
    if (on_grid) x[size_t(b * 32 + b % 32)] = (b % 2 ? -127.0f : 127.0f) * d;  // the block's max
  }
  return Tensor::from_vector(x, {M, K});
}

struct Levels {
  std::vector<KernelLevel> list;
  Levels() {
    const KernelLevel saved = kernel_level();
    for (KernelLevel l : {KernelLevel::Scalar, KernelLevel::Avx2, KernelLevel::Avx512, KernelLevel::Avx512Vnni,
                          KernelLevel::Avx512Bf16}) {
      force_kernel_level(l);
      if (kernel_level() == l) list.push_back(l);
    }
    force_kernel_level(saved);
  }
};

// |got - want| / bound per element against zeros: compare.hpp's NaN-aware check of <= 1.
::testing::AssertionResult within_bound(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias,
                                        bool on_grid) {
  const int64_t M = x.size(0), K = x.size(1), N = w.size(0);
  const auto xv = x.to_vector<double>(), wv = w.to(DType::Float32).to_vector<double>();
  const auto bv = bias.defined() ? bias.to_vector<double>() : std::vector<double>(size_t(N), 0.0);
  const auto yv = y.to_vector<double>();
  std::vector<double> norm(size_t(M * N)), zero(size_t(M * N), 0.0), amax(size_t(M * K / 32), 0.0);
  for (int64_t k = 0; k < M * K; ++k) amax[size_t(k / 32)] = std::max(amax[size_t(k / 32)], std::fabs(xv[size_t(k)]));
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double want = bv[size_t(n)], sx = 0, wmax = 0, act = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double xk = xv[size_t(m * K + k)], wk = wv[size_t(n * K + k)];
        want += xk * wk;
        sx += std::fabs(xk);
        wmax = std::max(wmax, std::fabs(wk));
        if (!on_grid) act += std::fabs(wk) * amax[size_t((m * K + k) / 32)] / 127.0 / 2.0;
      }
      const double bound = 1e-5 * sx * wmax + act * (1 + 1e-6) + 1e-7;
      norm[size_t(m * N + n)] = (yv[size_t(m * N + n)] - want) / bound;
    }
  return testcmp::allclose(norm, zero, testcmp::Tolerance{.atol = 1.0, .rtol = 0});
}

}  // namespace

// Every native type at every level, decode (M = 1) and prefill-shaped rows, on-grid and random
// activations, with and without bias: 5 types x levels x 3 x 2 products. 42 weight rows: ten tiles
// of 4 and a 2-row tail; M = 1, 3 and 6 (a 4-row tile plus 2) reach every activation-tile width.
TEST(QuantGemm, NativeTypesAtEveryLevelWithinActivationRoundingBound) {
  const Levels levels;
  ASSERT_GE(levels.list.size(), 1u);
  EXPECT_EQ(levels.list.front(), KernelLevel::Scalar);
  const KernelLevel saved = kernel_level();
  int cases = 0;
  std::mt19937 rng(21);
  for (DType dt : kNative) {
    const Tensor w = random_blocks(dt, 42, 512, rng);
    const Tensor bias = Tensor::from_vector(std::vector<float>(42, 0.25f));
    for (int64_t M : {1, 3, 6})
      for (bool grid : {true, false}) {
        const Tensor x = activations(M, 512, grid, rng);
        for (KernelLevel l : levels.list) {
          force_kernel_level(l);
          SCOPED_TRACE(std::string(dtype_name(dt)) + " level " + kernel_level_name(l) + " M=" + std::to_string(M) +
                       (grid ? " on-grid" : " random"));
          EXPECT_TRUE(within_bound(ops::linear(x, w, Tensor()), x, w, Tensor(), grid));
          EXPECT_TRUE(within_bound(ops::linear(x, w, bias), x, w, bias, grid));
          ++cases;
        }
      }
  }
  force_kernel_level(saved);
  EXPECT_EQ(cases, int(kNative.size() * 3 * 2 * levels.list.size()));
}

// The activation quantizer: the block maximum maps to +-127 exactly, sums are the quants' sums.
TEST(QuantGemm, ActivationBlocksScaleToTheBlockMaximum) {
  std::mt19937 rng(5);
  const Tensor x = activations(2, 64, false, rng);
  ops::detail::QuantizedRows q;
  ASSERT_TRUE(ops::detail::quantize_rows_q8(x.data<float>(), 2, 64, q));
  const auto xv = x.to_vector<float>();
  for (int64_t b = 0; b < 4; ++b) {
    float amax = 0;
    int32_t s = 0, s0 = 0;
    for (int j = 0; j < 32; ++j) {
      amax = std::max(amax, std::fabs(xv[size_t(b * 32 + j)]));
      s += q.q[size_t(b * 32 + j)];
      if (j < 16) s0 += q.q[size_t(b * 32 + j)];
      EXPECT_LE(std::fabs(xv[size_t(b * 32 + j)] - q.d[size_t(b)] * q.q[size_t(b * 32 + j)]), q.d[size_t(b)] / 2 * 1.0001f);
    }
    EXPECT_EQ(q.d[size_t(b)], amax / 127.0f);
    EXPECT_EQ(q.sum[size_t(b)], s);
    EXPECT_EQ(q.sum16[size_t(2 * b)], s0);
  }
  std::vector<float> bad(32, 1.0f);
  bad[7] = std::nanf("");
  EXPECT_FALSE(ops::detail::quantize_rows_q8(bad.data(), 1, 32, q));
}

// The SSE2 quantizer equals its scalar definition (d = max|x| / 127, q = nearbyint(x / d) clamped to
// +-127, per-block and per-half sums) bit for bit: random blocks, blocks whose values sit exactly
// half-way between two steps (round half to even), zero blocks and tiny values; and it refuses an
// infinity or a NaN in any lane.
TEST(QuantGemm, QuantizerEqualsTheScalarDefinitionBitForBit) {
  std::mt19937 rng(77);
  std::uniform_real_distribution<float> u(-3.0f, 3.0f);
  std::uniform_int_distribution<int> step(-254, 254);
  const int64_t M = 3, K = 32 * 40;
  std::vector<float> x(size_t(M * K));
  for (int64_t b = 0; b < M * K / 32; ++b)
    for (int j = 0; j < 32; ++j) {
      float& v = x[size_t(b * 32 + j)];
      switch (b % 4) {
        case 0: v = u(rng); break;
        case 1: v = j == 0 ? 127.0f : float(step(rng)) * 0.5f; break;  // halves of the step d = 1
        case 2: v = 0.0f; break;
        default: v = u(rng) * 1e-30f; break;
      }
    }
  ops::detail::QuantizedRows q;
  ASSERT_TRUE(ops::detail::quantize_rows_q8(x.data(), M, K, q));
  int halfway = 0;
  for (int64_t b = 0; b < M * K / 32; ++b) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[size_t(b * 32 + j)]));
    const float d = amax / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
    int32_t s[2] = {0, 0};
    for (int j = 0; j < 32; ++j) {
      const float r = x[size_t(b * 32 + j)] * id;
      halfway += r != std::trunc(r) && r * 2 == std::trunc(r * 2);
      const float v = std::nearbyint(r);
      const int want = v > 127.0f ? 127 : v < -127.0f ? -127 : int(v);
      ASSERT_EQ(int(q.q[size_t(b * 32 + j)]), want) << "block " << b << " element " << j << " x*id " << r;
      s[j / 16] += want;
    }
    ASSERT_EQ(q.d[size_t(b)], d) << b;
    ASSERT_EQ(q.sum16[size_t(2 * b)], s[0]) << b;
    ASSERT_EQ(q.sum16[size_t(2 * b + 1)], s[1]) << b;
    ASSERT_EQ(q.sum[size_t(b)], s[0] + s[1]) << b;
  }
  EXPECT_GT(halfway, 100);  // the ties were exercised
  for (float badv : {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(), std::nanf("")})
    for (int lane : {0, 13, 31}) {
      std::vector<float> bad(64, 0.5f);
      bad[size_t(32 + lane)] = badv;
      EXPECT_FALSE(ops::detail::quantize_rows_q8(bad.data(), 1, 64, q)) << badv << " at " << lane;
    }
}

// Inside QuantFloatActivationsGuard, Q8_0 and Q6_K (the lm_head types) multiply the float activations
// as they are, at every level: within float32 rounding of the float64 product of the dequantized
// weight (the bound of on-grid activations, 1e-5 * sum|x| * max|w|) on random activations, where
// int8 rounding would err ~100x more; M = 1 and 5; a 43-row weight (odd rows per thread). Types
// without such a kernel (Q4_1) keep the int8 path under the guard; the guard nests and restores.
TEST(QuantGemm, FloatActivationKernelsAtEveryLevelWithinFloat32Bound) {
  const Levels levels;
  const KernelLevel saved = kernel_level();
  std::mt19937 rng(23);
  int cases = 0;
  EXPECT_FALSE(ops::quant_float_activations());
  for (DType dt : {DType::Q8_0, DType::Q6_K}) {
    ASSERT_TRUE(ops::has_quantized_linear_float_activations(dt));
    const Tensor w = random_blocks(dt, 43, 768, rng);
    const Tensor bias = Tensor::from_vector(std::vector<float>(43, -0.5f));
    for (int64_t M : {1, 5}) {
      const Tensor x = activations(M, 768, false, rng);
      for (KernelLevel l : levels.list) {
        force_kernel_level(l);
        SCOPED_TRACE(std::string(dtype_name(dt)) + " level " + kernel_level_name(l) + " M=" + std::to_string(M));
        const Tensor rounded = ops::linear(x, w, bias);
        EXPECT_FALSE(within_bound(rounded, x, w, bias, true));  // the int8 path rounds: outside this bound
        const ops::QuantFloatActivationsGuard guard;
        {
          const ops::QuantFloatActivationsGuard nested;
          EXPECT_TRUE(within_bound(ops::linear(x, w, bias), x, w, bias, true));
        }
        EXPECT_TRUE(ops::quant_float_activations());
        EXPECT_TRUE(within_bound(ops::linear(x, w, Tensor()), x, w, Tensor(), true));
        ++cases;
      }
      EXPECT_FALSE(ops::quant_float_activations());
    }
  }
  force_kernel_level(saved);
  EXPECT_EQ(cases, int(2 * 2 * levels.list.size()));
  EXPECT_FALSE(ops::has_quantized_linear_float_activations(DType::Q4_1));
  const Tensor w = random_blocks(DType::Q4_1, 8, 256, rng);
  const Tensor x = activations(1, 256, false, rng);
  const Tensor outside = ops::linear(x, w, Tensor());
  const ops::QuantFloatActivationsGuard guard;
  EXPECT_TRUE(testcmp::allclose(ops::linear(x, w, Tensor()), outside, testcmp::kExact));
}

// The pool's workers compute their rows from the caller's quantized activations (a per-thread buffer
// read through a reference): a product split over 2 threads, with enough rows that every worker
// takes chunks, equals the 1-thread product bit for bit (each output row is one thread's sum).
TEST(QuantGemm, ProductsSplitOverThePoolEqualOneThread) {
  std::mt19937 rng(31);
  const int saved = get_num_threads();
  for (DType dt : {DType::Q4_1, DType::Q8_0}) {
    const Tensor w = random_blocks(dt, 4096, 256, rng);
    for (int64_t M : {1, 3}) {
      const Tensor x = activations(M, 256, false, rng);
      set_num_threads(1);
      const Tensor one = ops::linear(x, w, Tensor());
      set_num_threads(2);
      for (int rep = 0; rep < 20; ++rep)
        ASSERT_TRUE(testcmp::allclose(ops::linear(x, w, Tensor()), one, testcmp::kExact))
            << dtype_name(dt) << " M=" << M << " rep " << rep;
    }
  }
  set_num_threads(saved);
}

// More than 16 rows and non-finite activations compute the float product of the dequantized weight:
// the same values as linear() on the float32 weight. A 3-D input runs the kernels on its rows.
TEST(QuantGemm, FallbacksEqualTheDequantizedFloatProduct) {
  std::mt19937 rng(7);
  const Tensor w5 = random_blocks(DType::Q5_0, 24, 64, rng);
  const Tensor x2 = activations(6, 64, false, rng), x = x2.view({2, 3, 64});
  const Tensor y = ops::linear(x, w5, Tensor());
  EXPECT_EQ(y.sizes(), (Shape{2, 3, 24}));
  EXPECT_TRUE(testcmp::allclose(y, ops::linear(x2, w5, Tensor()).view({2, 3, 24}), testcmp::kExact));

  // more than 16 rows (prefill): the float GEMM of the dequantized weight
  const Tensor wq = random_blocks(DType::Q4_K, 24, 256, rng), x17 = activations(17, 256, false, rng);
  EXPECT_TRUE(testcmp::allclose(ops::linear(x17, wq, Tensor()), ops::linear(x17, wq.to(DType::Float32), Tensor()),
                                testcmp::kExact));

  const Tensor w = random_blocks(DType::Q4_0, 24, 64, rng);
  std::vector<float> xv = activations(2, 64, false, rng).to_vector<float>();
  xv[3] = std::nanf("");
  xv[64 + 5] = INFINITY;
  const Tensor xn = Tensor::from_vector(xv, {2, 64});
  EXPECT_TRUE(testcmp::allclose(ops::linear(xn, w, Tensor()), ops::linear(xn, w.to(DType::Float32), Tensor()),
                                testcmp::kExact));
  // shape errors stay the front end's
  EXPECT_THROW(ops::linear(Tensor::zeros({2, 32}), w, Tensor()), ShapeError);
}

// A GGUF token embedding kept as blocks: the lookup gathers whole block rows and dequantizes them,
// so it equals the lookup in the dequantized table bit for bit; a bad id is the usual ValueError.
TEST(QuantGemm, EmbeddingOfBlockRowsEqualsTheDequantizedTable) {
  std::mt19937 rng(27);
  int checked = 0;
  for (DType dt : kNative) {
    const Tensor w = random_blocks(dt, 12, 256, rng);
    const Tensor ids = Tensor::from_vector(std::vector<int64_t>{3, 0, 11, 3, 7, 1}, {2, 3});
    const Tensor got = ops::embedding(w, ids);
    EXPECT_EQ(got.dtype(), DType::Float32);
    EXPECT_EQ(got.sizes(), (Shape{2, 3, 256}));
    EXPECT_TRUE(testcmp::allclose(got, ops::embedding(w.to(DType::Float32), ids), testcmp::kExact)) << dtype_name(dt);
    EXPECT_THROW(ops::embedding(w, Tensor::from_vector(std::vector<int64_t>{12}, {1})), ValueError);
    ++checked;
  }
  EXPECT_EQ(checked, int(kNative.size()));
}

// The tiles (4 weight rows at a time) round as the one-row kernel does: every output of a 42-row
// Q8_0 / Q4_0 / Q4_1 product equals, bit for bit, the product with that row alone (a 1-row weight
// runs the row kernel), at every level and for 1 and 6 activation rows.
TEST(QuantGemm, TilesEqualTheRowKernelBitForBit) {
  const Levels levels;
  const KernelLevel saved = kernel_level();
  std::mt19937 rng(4);
  int checked = 0;
  for (DType dt : {DType::Q8_0, DType::Q4_0, DType::Q4_1}) {
    const Tensor w = random_blocks(dt, 42, 256, rng);
    const int64_t row_bytes = 256 / dtype_traits(dt).block_elems * dtype_traits(dt).block_bytes;
    for (int64_t M : {1, 6}) {
      const Tensor x = activations(M, 256, false, rng);
      for (KernelLevel l : levels.list) {
        force_kernel_level(l);
        const auto y = ops::linear(x, w, Tensor()).to_vector<float>();
        for (int64_t n = 0; n < 42; n += 5) {
          Tensor one = Tensor::empty({1, 256}, dt);
          std::memcpy(one.data_ptr(), static_cast<const uint8_t*>(w.data_ptr()) + n * row_bytes, size_t(row_bytes));
          const auto y1 = ops::linear(x, one, Tensor()).to_vector<float>();
          for (int64_t m = 0; m < M; ++m)
            EXPECT_EQ(y[size_t(m * 42 + n)], y1[size_t(m)]) << dtype_name(dt) << " " << kernel_level_name(l) << " n=" << n;
        }
        ++checked;
      }
    }
  }
  force_kernel_level(saved);
  EXPECT_EQ(checked, int(3 * 2 * levels.list.size()));
}
