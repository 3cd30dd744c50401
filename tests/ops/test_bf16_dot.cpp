// The native bf16 kernels (issue 27, src/ops/cpu/bf16_gemm*): vdpbf16ps GEMM / GEMV on a weight
// packed pair-interleaved, used by linear and addmm_conv1d for bf16 weights at the avx512bf16 level.
//
// Two checks. (1) Exact: at the avx512bf16 level every output's float32 bits equal
// bf16_dot_model's (the scalar emulation of vdpbf16ps: the odd product added first, then the even
// one, each add rounded to float32, k in order; inputs and partial sums kept normal, where the
// emulation and the hardware agree), for every row-block / strip / odd-K tail shape and both
// weight layouts; through the ops as well, after the output's one rounding to bf16. (2) Bounded:
// at every level this CPU has, linear / addmm_conv1d in bf16 against a float64 product of the same
// bf16 inputs, within the suite's bf16 tolerance (rtol 1.6e-2, atol 1e-2: one bf16 ulp of the output
// plus the float32 accumulation of <= 130 terms of magnitude <= 1).
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <cmath>
#include <memory>
#include <string>

#include "op_test_util.hpp"
#include "ops/cpu/bf16_gemm.hpp"
#include "ops/cpu/bf16_matmul.hpp"
#include "ops/cpu/packed_weights.hpp"
#include "transformers/ops/matmul.hpp"

using namespace optest;
namespace ops = transformers::ops;
namespace d = transformers::ops::detail;
using transformers::bf16_to_float;
using transformers::float_to_bf16;

namespace {

// bf16 values with magnitude in [2^-4, 1) and random sign: products and sums stay normal floats.
std::vector<uint16_t> bf16_values(size_t n) {
  std::uniform_real_distribution<float> u(0.0625f, 1.0f);
  std::bernoulli_distribution sign(0.5);
  std::vector<uint16_t> v(n);
  for (auto& x : v) x = float_to_bf16(sign(rng()) ? -u(rng()) : u(rng()));
  return v;
}

Tensor bf16_tensor(const std::vector<uint16_t>& v, const Shape& shape, bool read_only) {
  auto buf = std::make_shared<std::vector<uint16_t>>(v);
  return Tensor::from_blob(buf->data(), shape, DType::BFloat16, buf, read_only);
}

bool has_bf16_level() {
  const KernelLevel saved = transformers::kernel_level();
  transformers::force_kernel_level(KernelLevel::Avx512Bf16);
  const bool has = transformers::kernel_level() == KernelLevel::Avx512Bf16;
  transformers::force_kernel_level(saved);
  return has;
}

struct Shape3 {
  int64_t M, K, N;
};
// Row blocks of 8 and their tails, strips of 48 and their tails, odd K, one-element products.
const Shape3 kShapes[] = {{1, 1, 1}, {1, 7, 5}, {3, 33, 47}, {8, 64, 48}, {9, 65, 97}, {4, 768, 50}, {17, 128, 49}, {23, 31, 144}};
// The kernel alone also on a K long enough to be split into k blocks (kKC = 4096 in
// bf16_gemm_impl.hpp, for K > 2 kKC and more than one row block): an odd tail in the last block,
// an even short last block, and a single row block (not split); and on an A more than four times
// the packed B, which runs row-block-major (1203 x 129 against 129 x 97).
const Shape3 kKernelShapes[] = {{1, 1, 1},      {1, 7, 5},       {3, 33, 47},     {8, 64, 48},
                                {9, 65, 97},    {4, 768, 50},    {17, 128, 49},   {23, 31, 144},
                                {17, 8195, 50}, {9, 16386, 20},  {5, 9000, 7},    {1203, 129, 97}};

}  // namespace

TEST(Bf16Dot, KernelGivesTheScalarModelsBits) {
  if (!has_bf16_level()) {
    std::cout << "[ levels ] this CPU has no avx512bf16: checked that the native kernels are off\n";
    EXPECT_FALSE(d::bf16_dot_available());
    return;
  }
  const KernelLevel saved = transformers::kernel_level();
  transformers::force_kernel_level(KernelLevel::Avx512Bf16);
  ASSERT_TRUE(d::bf16_dot_available());
  int cases = 0;
  for (const auto& [M, K, N] : kKernelShapes)
    for (bool kn : {false, true})
      for (bool with_bias : {false, true}) {
        const auto x = bf16_values(size_t(M * K)), w = bf16_values(size_t(K * N));
        std::vector<float> bias(static_cast<size_t>(N));
        for (auto& b : bias) b = bf16_to_float(bf16_values(1)[0]);
        // B(k, n) = w[n*K + k] (Linear [N, K]) or w[k*N + n] (Conv1D [K, N])
        const int64_t rs = kn ? N : 1, cs = kn ? 1 : K;
        std::vector<uint16_t> packed(size_t(d::bf16_packed_b_elems(K, N)), 0xffff);
        d::bf16_pack_b(K, N, w.data(), rs, cs, packed.data());
        const int64_t ldy = N + 3;  // a row stride past N: the kernel writes only n < N
        std::vector<float> y(size_t(M * ldy), -7.0f);
        ASSERT_TRUE(d::bf16_gemm_packed(M, N, K, x.data(), K, packed.data(), with_bias ? bias.data() : nullptr, y.data(), ldy));
        for (int64_t m = 0; m < M; ++m)
          for (int64_t n = 0; n < N; ++n) {
            const float want = d::bf16_dot_model(x.data() + m * K, w.data() + n * cs, rs, K, with_bias ? &bias[size_t(n)] : nullptr);
            const float got = y[size_t(m * ldy + n)];
            ASSERT_EQ(std::memcmp(&got, &want, 4), 0)
                << "M=" << M << " K=" << K << " N=" << N << " kn=" << kn << " bias=" << with_bias << " at " << m << ","
                << n << ": " << got << " vs model " << want;
          }
        for (int64_t m = 0; m < M; ++m)
          for (int64_t n = N; n < ldy; ++n) ASSERT_EQ(y[size_t(m * ldy + n)], -7.0f) << "wrote past N";
        // The bf16-output variant: each output the float32 result's one rounding (float_to_bf16,
        // Tensor::to's rounding), nothing written past N.
        std::vector<uint16_t> y16(size_t(M * ldy), 0x1234);
        ASSERT_TRUE(d::bf16_gemm_packed_bf16(M, N, K, x.data(), K, packed.data(), with_bias ? bias.data() : nullptr,
                                             y16.data(), ldy));
        for (int64_t m = 0; m < M; ++m) {
          for (int64_t n = 0; n < N; ++n)
            ASSERT_EQ(y16[size_t(m * ldy + n)], float_to_bf16(y[size_t(m * ldy + n)]))
                << "bf16 out, M=" << M << " K=" << K << " N=" << N << " kn=" << kn << " at " << m << "," << n;
          for (int64_t n = N; n < ldy; ++n) ASSERT_EQ(y16[size_t(m * ldy + n)], 0x1234) << "bf16 out wrote past N";
        }
        ++cases;
      }
  transformers::force_kernel_level(saved);
  EXPECT_EQ(cases, int(std::size(kKernelShapes)) * 4);
}

// The bf16-output kernel rounds a NaN sum to 0xffff and an infinite one to infinity, as Tensor::to
// does (a row of x holding NaN / inf, another finite), and equals the float32 kernel's cast bits.
TEST(Bf16Dot, Bf16OutputRoundsNanAndInfAsTheCast) {
  if (!has_bf16_level()) {
    EXPECT_FALSE(d::bf16_dot_available());
    return;
  }
  const KernelLevel saved = transformers::kernel_level();
  transformers::force_kernel_level(KernelLevel::Avx512Bf16);
  const int64_t M = 3, K = 6, N = 50;
  auto x = bf16_values(size_t(M * K));
  const auto w = bf16_values(size_t(K * N));
  x[0] = float_to_bf16(std::numeric_limits<float>::quiet_NaN());       // row 0: NaN
  x[size_t(K)] = float_to_bf16(std::numeric_limits<float>::infinity());  // row 1: +-inf
  std::vector<uint16_t> packed(size_t(d::bf16_packed_b_elems(K, N)));
  d::bf16_pack_b(K, N, w.data(), N, 1, packed.data());
  std::vector<float> y(size_t(M * N));
  std::vector<uint16_t> y16(size_t(M * N));
  ASSERT_TRUE(d::bf16_gemm_packed(M, N, K, x.data(), K, packed.data(), nullptr, y.data(), N));
  ASSERT_TRUE(d::bf16_gemm_packed_bf16(M, N, K, x.data(), K, packed.data(), nullptr, y16.data(), N));
  transformers::force_kernel_level(saved);
  for (int64_t n = 0; n < N; ++n) {
    EXPECT_EQ(y16[size_t(n)], 0xffff) << n;
    EXPECT_TRUE(std::isinf(bf16_to_float(y16[size_t(N + n)]))) << n;
  }
  for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y16[i], float_to_bf16(y[i])) << i;
}

// The bf16-output form (what a bf16 Linear returns): every output is float_to_bf16 of the float32
// form's, nothing past N is written; ties, overflow, NaN and denormals round as the cast does (the
// product is 0 there, so the bias alone is the float32 result).
TEST(Bf16Dot, Bf16OutputIsTheCastOfTheFloat32Output) {
  if (!has_bf16_level()) {
    std::cout << "[ levels ] this CPU has no avx512bf16: checked that the native kernels are off\n";
    uint16_t y = 0;
    const uint16_t one = 0x3f80;
    EXPECT_FALSE(d::bf16_gemm_packed_bf16(1, 1, 1, &one, 1, &one, nullptr, &y, 1));
    return;
  }
  const KernelLevel saved = transformers::kernel_level();
  transformers::force_kernel_level(KernelLevel::Avx512Bf16);
  auto check = [](int64_t M, int64_t K, int64_t N, const std::vector<uint16_t>& x, const std::vector<uint16_t>& w,
                  const float* bias) {
    std::vector<uint16_t> packed(size_t(d::bf16_packed_b_elems(K, N)));
    d::bf16_pack_b(K, N, w.data(), 1, K, packed.data());  // Linear layout [N, K]
    const int64_t ldy = N + 3;
    std::vector<float> yf(size_t(M * ldy));
    std::vector<uint16_t> yb(size_t(M * ldy), 0xabcd);
    ASSERT_TRUE(d::bf16_gemm_packed(M, N, K, x.data(), K, packed.data(), bias, yf.data(), ldy));
    ASSERT_TRUE(d::bf16_gemm_packed_bf16(M, N, K, x.data(), K, packed.data(), bias, yb.data(), ldy));
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t n = 0; n < N; ++n)
        ASSERT_EQ(yb[size_t(m * ldy + n)], float_to_bf16(yf[size_t(m * ldy + n)]))
            << "M=" << M << " K=" << K << " N=" << N << " at " << m << "," << n << ": float32 " << yf[size_t(m * ldy + n)];
      for (int64_t n = N; n < ldy; ++n) ASSERT_EQ(yb[size_t(m * ldy + n)], 0xabcd) << "wrote past N";
    }
  };
  for (const auto& [M, K, N] : kShapes)
    for (bool with_bias : {false, true}) {
      std::vector<float> bias(static_cast<size_t>(N));
      for (auto& b : bias) b = bf16_to_float(bf16_values(1)[0]);
      check(M, K, N, bf16_values(size_t(M * K)), bf16_values(size_t(K * N)), with_bias ? bias.data() : nullptr);
    }
  // x = (1, 0), B = 0: y = +0 + bias exactly.
  const std::vector<uint32_t> bits = {0x3f808000u, 0x3f818000u, 0x3f80c000u, 0x7f7fffffu, 0xff7fffffu, 0x7fc00001u,
                                      0xff800000u, 0x00008000u, 0x00018000u, 0xbfc00000u, 0x7f800001u};
  std::vector<float> special;
  for (uint32_t b : bits) special.push_back(transformers::bits_float(b));
  const int64_t N = int64_t(special.size()), M = 3, K = 2;
  check(M, K, N, std::vector<uint16_t>{0x3f80, 0, 0x3f80, 0, 0x3f80, 0}, std::vector<uint16_t>(size_t(K * N), 0),
        special.data());
  std::vector<uint16_t> yb(size_t(M * N));
  std::vector<uint16_t> packed(size_t(d::bf16_packed_b_elems(K, N)));
  d::bf16_pack_b(K, N, std::vector<uint16_t>(size_t(K * N), 0).data(), 1, K, packed.data());
  const std::vector<uint16_t> x{0x3f80, 0, 0x3f80, 0, 0x3f80, 0};
  ASSERT_TRUE(d::bf16_gemm_packed_bf16(M, N, K, x.data(), K, packed.data(), special.data(), yb.data(), N));
  // round to nearest even (down, up, up), overflow to +-inf, every NaN 0xffff, denormals kept
  const std::vector<uint16_t> want = {0x3f80, 0x3f82, 0x3f81, 0x7f80, 0xff80, 0xffff, 0xff80, 0x0000, 0x0002, 0xbfc0, 0xffff};
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) EXPECT_EQ(yb[size_t(m * N + n)], want[size_t(n)]) << "bias bits " << std::hex << bits[size_t(n)];
  transformers::force_kernel_level(saved);
}

// linear and addmm_conv1d in bf16 at every level; at avx512bf16 the bf16 rounding of the model's bits.
TEST(Bf16Dot, LinearAndConv1dAtEveryLevel) {
  std::vector<KernelLevel> ran;
  const KernelLevel saved = transformers::kernel_level();
  int cases = 0, exact = 0;
  for (KernelLevel l : {KernelLevel::Scalar, KernelLevel::Avx2, KernelLevel::Avx512, KernelLevel::Avx512Vnni,
                        KernelLevel::Avx512Bf16}) {
    transformers::force_kernel_level(l);
    if (transformers::kernel_level() != l) continue;
    ran.push_back(l);
    SCOPED_TRACE(transformers::kernel_level_name(l));
    for (const auto& [M, K, N] : kShapes)
      for (bool kn : {false, true})
        for (bool read_only : {false, true}) {
          const auto xv = bf16_values(size_t(M * K)), wv = bf16_values(size_t(K * N)), bv = bf16_values(size_t(N));
          const Tensor x = bf16_tensor(xv, {1, M, K}, false);
          const Tensor w = bf16_tensor(wv, kn ? Shape{K, N} : Shape{N, K}, read_only);
          const Tensor b = bf16_tensor(bv, {N}, false);
          const auto before = d::packed_weight_stats();
          const Tensor y = kn ? ops::addmm_conv1d(x, w, b) : ops::linear(x, w, b);
          const auto after = d::packed_weight_stats();
          ASSERT_EQ(y.dtype(), DType::BFloat16);
          // the native path (and only it) looks a read-only bf16 weight up in the packed cache
          EXPECT_EQ(after.hits + after.misses - before.hits - before.misses,
                    l == KernelLevel::Avx512Bf16 && read_only ? 1 : 0);
          const int64_t rs = kn ? N : 1, cs = kn ? 1 : K;
          Ref want(Shape{1, M, N});
          for (int64_t m = 0; m < M; ++m)
            for (int64_t n = 0; n < N; ++n) {
              double s = bf16_to_float(bv[size_t(n)]);
              for (int64_t k = 0; k < K; ++k)
                s += double(bf16_to_float(xv[size_t(m * K + k)])) * bf16_to_float(wv[size_t(k * rs + n * cs)]);
              want.v[size_t(m * N + n)] = s;
            }
          ASSERT_TRUE(close(y, want, DType::BFloat16)) << "M=" << M << " K=" << K << " N=" << N << " kn=" << kn;
          ++cases;
          // The native path runs for cached (read-only) weights and for many rows.
          if (l == KernelLevel::Avx512Bf16 && (read_only || M > 16)) {
            const auto* got = static_cast<const uint16_t*>(y.data_ptr());
            for (int64_t m = 0; m < M; ++m)
              for (int64_t n = 0; n < N; ++n) {
                const float bias_f = bf16_to_float(bv[size_t(n)]);
                const uint16_t want_bits =
                    float_to_bf16(d::bf16_dot_model(xv.data() + m * K, wv.data() + n * cs, rs, K, &bias_f));
                ASSERT_EQ(got[m * N + n], want_bits) << "M=" << M << " K=" << K << " N=" << N << " kn=" << kn;
              }
            ++exact;
          }
        }
  }
  transformers::force_kernel_level(saved);
  std::cout << "[ levels ] ran:";
  for (KernelLevel l : ran) std::cout << ' ' << transformers::kernel_level_name(l);
  std::cout << '\n';
  EXPECT_EQ(cases, int(ran.size() * std::size(kShapes) * 4));
  if (has_bf16_level()) EXPECT_EQ(exact, int(std::size(kShapes)) * 2 + 2 * 2);  // read-only: all; writable: M=17, 23
}

// matmul of two bf16 matrices (the backward of an autocast Linear / Conv1D: grad @ W, grad^T @ x):
// at every level within bf16 tolerance of a float64 product; at avx512bf16, for more than 16 rows,
// the bf16 rounding of the model's bits, whatever the operands' layouts (a transposed a is copied
// to rows, b is packed from its strides) and with a's batch dims folded into rows.
TEST(Bf16Dot, MatmulOfTwoBf16MatricesAtEveryLevel) {
  const KernelLevel saved = transformers::kernel_level();
  int cases = 0, exact = 0, levels = 0;
  for (KernelLevel l : {KernelLevel::Scalar, KernelLevel::Avx2, KernelLevel::Avx512, KernelLevel::Avx512Vnni,
                        KernelLevel::Avx512Bf16}) {
    transformers::force_kernel_level(l);
    if (transformers::kernel_level() != l) continue;
    ++levels;
    SCOPED_TRACE(transformers::kernel_level_name(l));
    for (const auto& [M, K, N] : kShapes)
      for (bool a_t : {false, true})
        for (bool b_t : {false, true}) {
          // Logical a [M, K] and b [K, N]; stored as given or as the transpose of a stored transpose.
          const auto av = bf16_values(size_t(M * K)), bv = bf16_values(size_t(K * N));
          std::vector<uint16_t> as(av), bs(bv);
          if (a_t)
            for (int64_t m = 0; m < M; ++m)
              for (int64_t k = 0; k < K; ++k) as[size_t(k * M + m)] = av[size_t(m * K + k)];
          if (b_t)
            for (int64_t k = 0; k < K; ++k)
              for (int64_t n = 0; n < N; ++n) bs[size_t(n * K + k)] = bv[size_t(k * N + n)];
          const Tensor a = a_t ? bf16_tensor(as, {K, M}, false).t() : bf16_tensor(as, {M, K}, false);
          const Tensor b = b_t ? bf16_tensor(bs, {N, K}, false).t() : bf16_tensor(bs, {K, N}, false);
          // a 3-D a (its rows folded) when the rows split in two
          const bool batch = !a_t && M % 2 == 0;
          Tensor y = ops::matmul(batch ? a.reshape({2, M / 2, K}) : a, b);
          ASSERT_EQ(y.dtype(), DType::BFloat16);
          y = y.reshape({M, N});
          Ref want(Shape{M, N});
          for (int64_t m = 0; m < M; ++m)
            for (int64_t n = 0; n < N; ++n) {
              double s = 0;
              for (int64_t k = 0; k < K; ++k)
                s += double(bf16_to_float(av[size_t(m * K + k)])) * bf16_to_float(bv[size_t(k * N + n)]);
              want.v[size_t(m * N + n)] = s;
            }
          ASSERT_TRUE(close(y, want, DType::BFloat16)) << "M=" << M << " K=" << K << " N=" << N;
          ++cases;
          // the native product runs exactly where it should (avx512bf16, more than 16 rows)
          EXPECT_EQ(d::matmul_bf16_native(a, b).defined(), l == KernelLevel::Avx512Bf16 && M > 16);
          if (l == KernelLevel::Avx512Bf16 && M > 16) {
            const Tensor yc = y.contiguous();
            const auto* got = static_cast<const uint16_t*>(yc.data_ptr());
            for (int64_t m = 0; m < M; ++m)
              for (int64_t n = 0; n < N; ++n)
                ASSERT_EQ(got[m * N + n], float_to_bf16(d::bf16_dot_model(av.data() + m * K, bv.data() + n, N, K, nullptr)))
                    << "M=" << M << " K=" << K << " N=" << N << " a_t=" << a_t << " b_t=" << b_t;
            ++exact;
          }
        }
  }
  transformers::force_kernel_level(saved);
  EXPECT_EQ(cases, levels * int(std::size(kShapes)) * 4);
  if (has_bf16_level()) EXPECT_EQ(exact, 2 * 4);  // M = 17 and 23, every layout
}

// Batched bf16 products (attention's per-head q k^T, p v and their backward under autocast): each
// slice of a [2, 3, M, K] @ b [2, 3, K, N], both transposed views, equals the 2-D product of its
// slices (bits at avx512bf16, where the native path must run; bounded elsewhere).
TEST(Bf16Dot, BatchedMatmulEqualsItsSlicesProducts) {
  const KernelLevel saved = transformers::kernel_level();
  int cases = 0;
  for (KernelLevel l : {KernelLevel::Avx2, KernelLevel::Avx512Bf16}) {
    transformers::force_kernel_level(l);
    if (transformers::kernel_level() != l) continue;
    for (const auto& [M, K, N] : {Shape3{24, 64, 40}, Shape3{128, 33, 64}, Shape3{9, 16, 16}}) {
      const Tensor a = bf16_tensor(bf16_values(size_t(6 * M * K)), {2, 3, K, M}, false).transpose(-1, -2);
      const Tensor b = bf16_tensor(bf16_values(size_t(6 * K * N)), {2, 3, N, K}, false).transpose(-1, -2);
      const bool native = l == KernelLevel::Avx512Bf16 && M > 16;
      EXPECT_EQ(d::bmm_bf16_native(a, b).defined(), native);
      const Tensor y = ops::matmul(a, b);
      ASSERT_EQ(y.dtype(), DType::BFloat16);
      ASSERT_EQ(y.sizes(), (Shape{2, 3, M, N}));
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t h = 0; h < 3; ++h) {
          const Tensor want = ops::matmul(a.select(0, i).select(0, h), b.select(0, i).select(0, h));
          const Tensor got = y.select(0, i).select(0, h);
          if (native)
            ASSERT_EQ(got.to(DType::Float32).to_vector<float>(), want.to(DType::Float32).to_vector<float>());
          else
            ASSERT_TRUE(close(got, Ref::of(want), DType::BFloat16));
        }
      ++cases;
    }
  }
  transformers::force_kernel_level(saved);
  EXPECT_GE(cases, 3);
}

// A read-only (mapped) bf16 weight is packed once and reused; a writable one is never cached.
TEST(Bf16Dot, ReadOnlyWeightPackedOnce) {
  if (!has_bf16_level()) {
    EXPECT_FALSE(d::bf16_dot_available());
    return;
  }
  const KernelLevel saved = transformers::kernel_level();
  transformers::force_kernel_level(KernelLevel::Avx512Bf16);
  d::clear_packed_weights();
  const int64_t K = 64, N = 96;
  const Tensor w = bf16_tensor(bf16_values(size_t(K * N)), {N, K}, true);
  const Tensor x = bf16_tensor(bf16_values(size_t(2 * K)), {2, K}, false);
  const auto before = d::packed_weight_stats();
  const Tensor y1 = ops::linear(x, w, Tensor()), y2 = ops::linear(x, w, Tensor());
  const auto after = d::packed_weight_stats();
  EXPECT_EQ(after.entries - before.entries, 1);
  EXPECT_EQ(after.bytes - before.bytes, d::bf16_packed_b_elems(K, N) * 2);
  EXPECT_EQ(after.hits, 1);
  EXPECT_EQ(after.misses, 1);
  EXPECT_EQ(std::memcmp(y1.data_ptr(), y2.data_ptr(), size_t(2 * N * 2)), 0);
  const Tensor wr = bf16_tensor(bf16_values(size_t(K * N)), {N, K}, false);
  (void)ops::linear(x, wr, Tensor());
  EXPECT_EQ(d::packed_weight_stats().entries, after.entries);
  d::clear_packed_weights();
  transformers::force_kernel_level(saved);
}

// Issue 27: once a bf16 weight from a read-only file mapping (how checkpoints are loaded) is
// packed, its own pages leave the process (the native kernels read only the pack), so a bf16
// model's RSS is not doubled; the weight still reads back the file's bytes and products do not
// change. A read-only view of heap memory keeps its pages and its values (dropping those would
// zero them).
TEST(Bf16Dot, PackedMappedWeightGivesItsPagesBack) {
  const int64_t K = 1024, N = 512;  // 1 MiB of weight: 256 pages
  const auto wv = bf16_values(size_t(K * N));
  const Tensor x = bf16_tensor(bf16_values(size_t(K)), {1, K}, false);
  // The weight as a private read-only mapping of a file, as io/mapped_file.cpp maps checkpoints.
  const std::string path = testing::TempDir() + "bf16_page_out_weight.bin";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(wv.data(), 2, wv.size(), f), wv.size());
    std::fclose(f);
  }
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  const size_t bytes = wv.size() * 2;
  void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  ASSERT_NE(map, MAP_FAILED);
  auto owner = std::shared_ptr<void>(map, [bytes](void* p) { ::munmap(p, bytes); });
  const Tensor w = Tensor::from_blob(map, {N, K}, DType::BFloat16, owner, /*read_only=*/true);
  const size_t page = size_t(::sysconf(_SC_PAGESIZE));
  // Pages of the mapping resident in this process: its Rss in /proc/self/smaps (mincore would
  // report the page cache, which keeps the file's pages either way).
  auto resident_pages = [&] {
    std::ifstream smaps("/proc/self/smaps");
    std::string line;
    bool in_map = false;
    while (std::getline(smaps, line)) {
      unsigned long lo = 0, hi = 0;
      if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find('-') < line.find(' ')) {
        in_map = lo == reinterpret_cast<uintptr_t>(map);
      } else if (in_map && line.rfind("Rss:", 0) == 0) {
        return int(std::stol(line.substr(4)) * 1024 / long(page));
      }
    }
    ADD_FAILURE() << "mapping not found in /proc/self/smaps";
    return -1;
  };
  volatile uint16_t sink = 0;
  for (size_t i = 0; i < wv.size(); i += page / 2) sink = sink + static_cast<const uint16_t*>(map)[i];  // fault all in
  ASSERT_EQ(resident_pages(), int(bytes / page));
  d::clear_packed_weights();
  const Tensor y1 = ops::linear(x, w, Tensor());
  if (d::bf16_dot_available()) {
    EXPECT_EQ(resident_pages(), 0) << "the mapped weight's pages stayed resident beside its pack";
  } else {
    std::cout << "[ levels ] no avx512bf16 here: nothing is packed, the pages stay\n";
    EXPECT_EQ(resident_pages(), int(bytes / page));
  }
  EXPECT_EQ(std::memcmp(w.data_ptr(), wv.data(), bytes), 0);  // faulted back in from the file
  const Tensor y2 = ops::linear(x, w, Tensor());
  EXPECT_EQ(std::memcmp(y1.data_ptr(), y2.data_ptr(), size_t(N * 2)), 0);
  // A read-only view of heap memory: packed the same way, its bytes untouched.
  const Tensor wh = bf16_tensor(wv, {N, K}, true);
  (void)ops::linear(x, wh, Tensor());
  EXPECT_EQ(std::memcmp(wh.data_ptr(), wv.data(), bytes), 0);
  d::clear_packed_weights();
  std::remove(path.c_str());
}
