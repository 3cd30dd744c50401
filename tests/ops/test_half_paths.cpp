// The native float16/bfloat16 paths of the decode-step ops (elementwise, activations, layer_norm,
// rms_norm, rotary, SDPA over a strided 16-bit KV cache) at every kernel level: each must give the
// same bits as PyTorch's opmath rule (widen to float32, compute, round once), written out here
// with the core's scalar conversions, and stay within the dtype tolerance of a double reference.
#include <cmath>

#include "op_test_util.hpp"
#include "transformers/ops/attention.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/norm.hpp"
#include "transformers/ops/rotary.hpp"

using namespace optest;
namespace ops = transformers::ops;
using transformers::bf16_to_float;
using transformers::float_to_bf16;

namespace {
const std::vector<DType>& half_dtypes() {
  static const std::vector<DType> d = {DType::BFloat16, DType::Float16};
  return d;
}
// float32 value rounded to dt and back, with the core's scalar conversions (torch's rounding).
float rnd(float f, DType dt) {
  if (dt == DType::BFloat16) return bf16_to_float(float_to_bf16(f));
  return transformers::fp16_to_float(transformers::float_to_fp16(f));
}
std::vector<float> vals(const Tensor& t) { return t.to(DType::Float32).to_vector<float>(); }

// Every element bit-equal (NaN matches NaN).
::testing::AssertionResult same_bits(const Tensor& got, const std::vector<float>& want) {
  const std::vector<float> g = vals(got);
  if (g.size() != want.size()) return ::testing::AssertionFailure() << "size " << g.size() << " != " << want.size();
  int bad = 0;
  std::string msg;
  for (size_t i = 0; i < g.size(); ++i) {
    const bool ok = (std::isnan(g[i]) && std::isnan(want[i])) || g[i] == want[i];
    if (!ok && bad++ < 5) msg += " [" + std::to_string(i) + "] got " + std::to_string(g[i]) + " want " + std::to_string(want[i]);
    }
  if (bad) return ::testing::AssertionFailure() << bad << " of " << g.size() << " differ:" << msg;
  return ::testing::AssertionSuccess();
}
}  // namespace

TEST(HalfPaths, BinaryOpsRoundOnceAndBroadcast) {
  for_each_level([] {
    for (DType dt : half_dtypes())
      for (int op = 0; op < 4; ++op)
        for (int layout = 0; layout < 4; ++layout) {
          SCOPED_TRACE(name(dt) + " op " + std::to_string(op) + " layout " + std::to_string(layout));
          // 0: same shape (longer than one chunk); 1: row vector broadcast; 2: non-contiguous; 3: scalar-like [1]
          const Shape sa = layout == 1 ? Shape{3, 700} : Shape{2, 3, 700};
          Tensor a = random(sa, dt, -3, 3);
          Tensor b = layout == 1 ? random({700}, dt, 0.5, 2) : layout == 3 ? random({1}, dt, 0.5, 2) : random(sa, dt, 0.5, 2);
          if (layout == 2) {
            a = noncontig(a);
            b = noncontig(b);
          }
          const Tensor got = op == 0 ? ops::add(a, b) : op == 1 ? ops::sub(a, b) : op == 2 ? ops::mul(a, b) : ops::div(a, b);
          ASSERT_EQ(got.dtype(), dt);
          ASSERT_EQ(got.sizes(), a.sizes());
          const Tensor be = b.expand(a.sizes());
          const std::vector<float> fa = vals(a), fb = vals(be.contiguous());
          std::vector<float> want(fa.size());
          Ref dref(a.sizes());
          for (size_t i = 0; i < fa.size(); ++i) {
            const float x = fa[i], y = fb[i];
            const float r = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
            want[i] = rnd(r, dt);
            const double dx = x, dy = y;
            dref.v[i] = op == 0 ? dx + dy : op == 1 ? dx - dy : op == 2 ? dx * dy : dx / dy;
          }
          EXPECT_TRUE(same_bits(got, want));
          EXPECT_TRUE(close(got, dref, dt));
        }
  });
}

TEST(HalfPaths, SpecialValuesPropagate) {
  for_each_level([] {
    const Tensor a = Tensor::from_vector<float>({NAN, INFINITY, -INFINITY, 1.0f, 3e38f}).to(DType::BFloat16);
    const Tensor b = Tensor::from_vector<float>({1.0f, 1.0f, INFINITY, 0.0f, 3e38f}).to(DType::BFloat16);
    const std::vector<float> s = vals(ops::add(a, b));
    EXPECT_TRUE(std::isnan(s[0]));
    EXPECT_EQ(s[1], INFINITY);
    EXPECT_TRUE(std::isnan(s[2]));  // -inf + inf
    EXPECT_EQ(s[3], 1.0f);
    EXPECT_EQ(s[4], INFINITY);  // overflow rounds to inf in bf16
    EXPECT_EQ(vals(ops::div(a, b))[3], INFINITY);
  });
}

TEST(HalfPaths, ActivationsMatchFloat32PathRounded) {
  for_each_level([] {
    for (DType dt : half_dtypes())
      for (const char* act : {"silu", "gelu", "gelu_new", "gelu_fast", "quick_gelu", "tanh", "sigmoid", "relu"})
        for (bool nc : {false, true}) {
          SCOPED_TRACE(name(dt) + " " + act + (nc ? " strided" : ""));
          Tensor x = random({3, 1100}, dt, -6, 6);
          if (nc) x = noncontig(x);
          const Tensor got = ops::activation(x, act);
          ASSERT_EQ(got.dtype(), dt);
          // the float32 op on the widened input, rounded once
          const Tensor f = ops::activation(x.to(DType::Float32), act);
          std::vector<float> want = vals(f);
          for (float& w : want) w = rnd(w, dt);
          if (!nc) EXPECT_TRUE(same_bits(got, want));  // strided float32 runs take the scalar formula
          Ref dref(x.sizes());
          const std::vector<float> fx = vals(x);
          for (size_t i = 0; i < fx.size(); ++i) {
            const double v = fx[i];
            const std::string a = act;
            double r;
            if (a == "silu") r = v / (1 + std::exp(-v));
            else if (a == "gelu") r = 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
            else if (a == "gelu_new" || a == "gelu_fast") r = 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
            else if (a == "quick_gelu") r = v / (1 + std::exp(-1.702 * v));
            else if (a == "tanh") r = std::tanh(v);
            else if (a == "sigmoid") r = 1 / (1 + std::exp(-v));
            else r = v > 0 ? v : 0;
            dref.v[i] = r;
          }
          EXPECT_TRUE(close(got, dref, dt));
        }
  });
}

TEST(HalfPaths, RmsNormAndLayerNormRoundLikeTorch) {
  for_each_level([] {
    for (DType dt : half_dtypes())
      for (int64_t D : {8, 65, 2048}) {
        SCOPED_TRACE(name(dt) + " D " + std::to_string(D));
        const Tensor x = random({3, D}, dt, -4, 4), w = random({D}, dt, 0.5, 1.5), bias = random({D}, dt, -1, 1);
        const std::vector<float> fx = vals(x), fw = vals(w), fb = vals(bias);
        // rms_norm: float32 math, normalised value rounded, then weight * value rounded
        std::vector<float> want(fx.size()), want_ln(fx.size());
        Ref dref(x.sizes()), dref_ln(x.sizes());
        for (int64_t r = 0; r < 3; ++r) {
          double ss = 0, sum = 0;
          for (int64_t j = 0; j < D; ++j) {
            ss += double(fx[size_t(r * D + j)]) * fx[size_t(r * D + j)];
            sum += fx[size_t(r * D + j)];
          }
          const float rs = 1.0f / std::sqrt(float(ss / double(D)) + 1e-6f);
          const double mean = sum / double(D);
          double var = 0;
          for (int64_t j = 0; j < D; ++j) var += std::pow(fx[size_t(r * D + j)] - mean, 2);
          var /= double(D);
          for (int64_t j = 0; j < D; ++j) {
            const size_t i = size_t(r * D + j);
            want[i] = rnd(fw[size_t(j)] * rnd(fx[i] * rs, dt), dt);
            dref.v[i] = fw[size_t(j)] * fx[i] / std::sqrt(ss / double(D) + 1e-6);
            dref_ln.v[i] = (fx[i] - mean) / std::sqrt(var + 1e-5) * fw[size_t(j)] + fb[size_t(j)];
          }
        }
        const Tensor got = ops::rms_norm(x, w, 1e-6);
        ASSERT_EQ(got.dtype(), dt);
        EXPECT_TRUE(same_bits(got, want));
        Tol tl = tol_for(dt);
        tl.rtol *= 2;
        EXPECT_TRUE(close(got, dref, tl));
        EXPECT_TRUE(same_bits(ops::rms_norm(noncontig(x), w, 1e-6), want));
        // layer_norm: same bits as the float32 op on widened input/params, rounded once
        const Tensor ln = ops::layer_norm(x, w, bias, 1e-5);
        ASSERT_EQ(ln.dtype(), dt);
        std::vector<float> lw = vals(ops::layer_norm(x.to(DType::Float32), w.to(DType::Float32), bias.to(DType::Float32), 1e-5));
        for (float& v : lw) v = rnd(v, dt);
        EXPECT_TRUE(same_bits(ln, lw));
        EXPECT_TRUE(close(ln, dref_ln, tl));
        // float32 weight with a 16-bit input keeps PyTorch's promotion (float32 result)
        EXPECT_EQ(ops::rms_norm(x, w.to(DType::Float32), 1e-6).dtype(), DType::Float32);
      }
  });
}

TEST(HalfPaths, RotaryRoundsAfterEachProduct) {
  for_each_level([] {
    for (DType dt : half_dtypes())
      for (bool batched : {true, false}) {
        SCOPED_TRACE(name(dt) + (batched ? " [B,S,D] cos" : " [S,D] cos"));
        const int64_t B = 2, H = 3, S = 4, D = 64;
        const Tensor x = noncontig(random({B, H, S, D}, dt));
        const Shape cs = batched ? Shape{B, S, D} : Shape{S, D};
        const Tensor c = random(cs, dt, -1, 1), s = random(cs, dt, -1, 1);
        const Tensor got = ops::apply_rotary_pos_emb(x, c, s);
        ASSERT_EQ(got.dtype(), dt);
        std::vector<float> want(size_t(B * H * S * D));
        Ref dref(x.sizes());
        for (int64_t b = 0; b < B; ++b)
          for (int64_t h = 0; h < H; ++h)
            for (int64_t i = 0; i < S; ++i)
              for (int64_t d = 0; d < D; ++d) {
                const float xv = float(x.at({b, h, i, d}));
                const float rot = d < D / 2 ? -float(x.at({b, h, i, d + D / 2})) : float(x.at({b, h, i, d - D / 2}));
                const std::vector<int64_t> ci = batched ? std::vector<int64_t>{b, i, d} : std::vector<int64_t>{i, d};
                const float cv = float(c.at(ci)), sv = float(s.at(ci));
                const size_t k = size_t(((b * H + h) * S + i) * D + d);
                want[k] = rnd(rnd(xv * cv, dt) + rnd(rot * sv, dt), dt);
                dref.v[k] = double(xv) * cv + double(rot) * sv;
              }
        EXPECT_TRUE(same_bits(got, want));
        Tol tl = tol_for(dt);
        tl.rtol *= 3;
        tl.atol *= 3;
        EXPECT_TRUE(close(got, dref, tl));
      }
  });
}

TEST(HalfPaths, SdpaOverStridedHalfCacheEqualsContiguous) {
  for_each_level([] {
    for (DType dt : half_dtypes()) {
      SCOPED_TRACE(name(dt));
      // a preallocated cache [1, 2, 40, 32] of which 27 positions are filled, GQA 4/2, one query
      const Tensor cache_k = random({1, 2, 40, 32}, dt), cache_v = random({1, 2, 40, 32}, dt);
      const Tensor k = cache_k.narrow(2, 0, 27), v = cache_v.narrow(2, 0, 27);
      ASSERT_FALSE(k.is_contiguous());
      const Tensor q = random({1, 4, 1, 32}, dt);
      ops::SdpaOptions o;
      o.enable_gqa = true;
      const Tensor got = ops::scaled_dot_product_attention(q, k, v, o);
      const Tensor ref = ops::scaled_dot_product_attention(q, k.contiguous(), v.contiguous(), o);
      EXPECT_TRUE(same_bits(got, vals(ref)));
      // and against a double reference
      Ref dref(Shape{1, 4, 1, 32});
      for (int64_t h = 0; h < 4; ++h) {
        std::vector<double> sc(27);
        double mx = -1e300;
        for (int64_t j = 0; j < 27; ++j) {
          double acc = 0;
          for (int64_t d = 0; d < 32; ++d) acc += q.at({0, h, 0, d}) * k.at({0, h / 2, j, d});
          sc[size_t(j)] = acc / std::sqrt(32.0);
          mx = std::max(mx, sc[size_t(j)]);
        }
        double z = 0;
        for (auto& e : sc) z += (e = std::exp(e - mx));
        for (int64_t d = 0; d < 32; ++d) {
          double o2 = 0;
          for (int64_t j = 0; j < 27; ++j) o2 += sc[size_t(j)] / z * v.at({0, h / 2, j, d});
          dref.v[size_t(h * 32 + d)] = o2;
        }
      }
      EXPECT_TRUE(close(got, dref, dt));
    }
  });
}
