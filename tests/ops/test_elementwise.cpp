// Elementwise ops against a double-precision reference: every dtype they accept, broadcast,
// non-contiguous and zero-size inputs, at every kernel level.
#include <cmath>
#include <limits>

#include "op_test_util.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/reduce.hpp"

using namespace optest;
namespace ops = transformers::ops;
using transformers::DType;

namespace {

Ref ref_binary(const Ref& a, const Ref& b, const std::function<double(double, double)>& f) {
  Ref out(transformers::broadcast_shapes(a.shape, b.shape));
  for (int64_t i = 0; i < out.numel(); ++i) {
    const auto idx = unravel(i, out.shape);
    out.v[size_t(i)] = f(a.bcast(idx), b.bcast(idx));
  }
  return out;
}

Ref ref_unary(const Ref& a, const std::function<double(double)>& f) {
  Ref out(a.shape);
  for (int64_t i = 0; i < a.numel(); ++i) out.v[size_t(i)] = f(a.v[size_t(i)]);
  return out;
}

struct BinCase {
  const char* name;
  transformers::Tensor (*op)(const transformers::Tensor&, const transformers::Tensor&);
  double (*ref)(double, double);
};

const BinCase kBin[] = {
    {"add", ops::add, [](double x, double y) { return x + y; }},
    {"sub", ops::sub, [](double x, double y) { return x - y; }},
    {"mul", ops::mul, [](double x, double y) { return x * y; }},
    {"div", ops::div, [](double x, double y) { return x / y; }},
    {"maximum", ops::maximum, [](double x, double y) { return std::max(x, y); }},
    {"minimum", ops::minimum, [](double x, double y) { return std::min(x, y); }},
};

// (shape a, shape b) pairs: same, broadcast both ways, scalar-like, zero-size.
const std::vector<std::pair<Shape, Shape>> kShapes = {
    {{3, 5}, {3, 5}}, {{3, 1, 5}, {4, 5}}, {{1}, {2, 3}}, {{2, 3, 4}, {3, 1}}, {{0, 5}, {1, 5}}, {{0}, {0}}, {{}, {}},
    {{37}, {37}},  // longer than one vector width at every level
};

}  // namespace

TEST(Elementwise, BinaryOpsAllDtypesShapesLayouts) {
  for_each_level([] {
    for (const auto& c : kBin)
      for (DType dt : {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16, DType::Int64, DType::Int32})
        for (const auto& [sa, sb] : kShapes)
          for (bool nc : {false, true}) {
            SCOPED_TRACE(std::string(c.name) + " " + name(dt) + " " + transformers::shape_str(sa) + " " +
                         transformers::shape_str(sb) + (nc ? " noncontig" : ""));
            Tensor a = random(sa, dt, -3, 3), b = random(sb, dt, 0.5, 3);  // b > 0 keeps div finite
            const Ref ra = Ref::of(a), rb = Ref::of(b);
            if (nc) { a = noncontig(a); b = noncontig(b); }
            const Tensor got = c.op(a, b);
            const DType want_dt = (std::string(c.name) == "div" && !transformers::is_floating_point(dt)) ? DType::Float32 : dt;
            EXPECT_EQ(got.dtype(), want_dt);
            EXPECT_TRUE(got.is_contiguous());
            EXPECT_TRUE(close(got, ref_binary(ra, rb, c.ref), want_dt == DType::Int64 || want_dt == DType::Int32 ? Tol{0, 0} : tol_for(want_dt)));
          }
  });
}

TEST(Elementwise, TypePromotionFollowsTorch) {
  auto T = [](DType d, Shape s = {2}) { return Tensor::ones(s, d); };
  EXPECT_EQ(ops::add(T(DType::BFloat16), T(DType::Float32)).dtype(), DType::Float32);
  EXPECT_EQ(ops::add(T(DType::Float16), T(DType::BFloat16)).dtype(), DType::Float32);
  EXPECT_EQ(ops::add(T(DType::Int64), T(DType::Float16)).dtype(), DType::Float16);
  EXPECT_EQ(ops::add(T(DType::Int32), T(DType::Int64)).dtype(), DType::Int64);
  EXPECT_EQ(ops::add(T(DType::UInt8), T(DType::Int8)).dtype(), DType::Int16);
  EXPECT_EQ(ops::add(T(DType::Bool), T(DType::Bool)).dtype(), DType::Bool);
  EXPECT_EQ(ops::div(T(DType::Int64), T(DType::Int64)).dtype(), DType::Float32);
  // 0-dim tensors decide only when their category is higher (torch.result_type)
  EXPECT_EQ(ops::add(T(DType::Float32), T(DType::Float64, {})).dtype(), DType::Float32);
  EXPECT_EQ(ops::add(T(DType::Int64), T(DType::Float64, {})).dtype(), DType::Float64);
  EXPECT_EQ(ops::add(T(DType::BFloat16), T(DType::Float32, {})).dtype(), DType::BFloat16);
  // Python scalars
  EXPECT_EQ(ops::mul(T(DType::Int64), 2.0).dtype(), DType::Int64);
  EXPECT_EQ(ops::mul(T(DType::Int64), 2.5).dtype(), DType::Float32);
  EXPECT_EQ(ops::add(T(DType::Bool), 1.0).dtype(), DType::Int64);
  EXPECT_EQ(ops::mul(T(DType::BFloat16), 0.1).dtype(), DType::BFloat16);
  EXPECT_EQ(ops::div(T(DType::Int32), 2.0).dtype(), DType::Float32);
}

TEST(Elementwise, ScalarFormsComputeInOpmath) {
  for (DType dt : float_dtypes()) {
    SCOPED_TRACE(name(dt));
    const Tensor a = random({4, 7}, dt);
    const Ref ra = Ref::of(a);
    // torch keeps the Python scalar in the compute type (float for 16-bit): bf16 * 0.1 is
    // round_bf16(float(x) * float(0.1)), not x * round_bf16(0.1).
    EXPECT_TRUE(close(ops::mul(a, 0.1), ref_unary(ra, [](double x) { return x * 0.1; }), dt));
    EXPECT_TRUE(close(a * 0.1, ref_unary(ra, [](double x) { return x * 0.1; }), dt));
    EXPECT_TRUE(close(a + 1.5, ref_unary(ra, [](double x) { return x + 1.5; }), dt));
    EXPECT_TRUE(close(a - 1.5, ref_unary(ra, [](double x) { return x - 1.5; }), dt));
    EXPECT_TRUE(close(a / 3.0, ref_unary(ra, [](double x) { return x / 3.0; }), dt));
    EXPECT_TRUE(close(1.5 - a, ref_unary(ra, [](double x) { return 1.5 - x; }), dt));
    EXPECT_TRUE(close(2.0 / (a + 5.0), ref_unary(ra, [](double x) { return 2.0 / (x + 5.0); }), {tol_for(dt).rtol * 2, tol_for(dt).atol}));
    EXPECT_TRUE(close(-a, ref_unary(ra, [](double x) { return -x; }), dt));
    EXPECT_TRUE(close(a * a, ref_unary(ra, [](double x) { return x * x; }), dt));
  }
  // the bf16 product rounds once from float: check exact bits for one value
  const Tensor x = Tensor::full({1}, 3.0, DType::BFloat16);
  const float want = transformers::bf16_to_float(transformers::float_to_bf16(3.0f * float(0.1)));
  EXPECT_EQ(ops::mul(x, 0.1).item(), double(want));
  EXPECT_EQ((Tensor::from_vector<int64_t>({7, -7}) * 3.0).to_vector<int64_t>(), (std::vector<int64_t>{21, -21}));
}

namespace {
struct UnCase {
  const char* name;
  std::function<Tensor(const Tensor&)> op;
  std::function<double(double)> ref;
  double lo, hi;
};
double gelu_erf(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }
double gelu_tanh(double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x))); }
double sigm(double x) { return 1 / (1 + std::exp(-x)); }
const std::vector<UnCase>& unary_cases() {
  static const std::vector<UnCase> c = {
      {"neg", [](const Tensor& t) { return ops::neg(t); }, [](double x) { return -x; }, -3, 3},
      {"exp", [](const Tensor& t) { return ops::exp(t); }, [](double x) { return std::exp(x); }, -5, 5},
      {"log", [](const Tensor& t) { return ops::log(t); }, [](double x) { return std::log(x); }, 0.01, 5},
      {"sqrt", [](const Tensor& t) { return ops::sqrt(t); }, [](double x) { return std::sqrt(x); }, 0, 5},
      {"rsqrt", [](const Tensor& t) { return ops::rsqrt(t); }, [](double x) { return 1 / std::sqrt(x); }, 0.01, 5},
      {"abs", [](const Tensor& t) { return ops::abs(t); }, [](double x) { return std::fabs(x); }, -3, 3},
      {"tanh", [](const Tensor& t) { return ops::tanh(t); }, [](double x) { return std::tanh(x); }, -6, 6},
      {"sigmoid", [](const Tensor& t) { return ops::sigmoid(t); }, sigm, -12, 12},
      {"relu", [](const Tensor& t) { return ops::relu(t); }, [](double x) { return x > 0 ? x : 0; }, -3, 3},
      {"silu", [](const Tensor& t) { return ops::silu(t); }, [](double x) { return x * sigm(x); }, -12, 12},
      {"gelu", [](const Tensor& t) { return ops::gelu(t); }, gelu_erf, -6, 6},
      {"gelu_tanh", [](const Tensor& t) { return ops::gelu(t, true); }, gelu_tanh, -6, 6},
      {"gelu_new", [](const Tensor& t) { return ops::gelu_new(t); }, gelu_tanh, -6, 6},
      {"gelu_fast", [](const Tensor& t) { return ops::activation(t, "gelu_fast"); },
       [](double x) { return 0.5 * x * (1 + std::tanh(x * 0.7978845608 * (1 + 0.044715 * x * x))); }, -6, 6},
      {"quick_gelu", [](const Tensor& t) { return ops::activation(t, "quick_gelu"); }, [](double x) { return x * sigm(1.702 * x); }, -6, 6},
      {"pow2.5", [](const Tensor& t) { return ops::pow(t, 2.5); }, [](double x) { return std::pow(x, 2.5); }, 0, 3},
      {"pow3", [](const Tensor& t) { return ops::pow(t, 3.0); }, [](double x) { return x * x * x; }, -2, 2},
      {"clamp", [](const Tensor& t) { return ops::clamp(t, -0.5, 1.25); }, [](double x) { return std::min(std::max(x, -0.5), 1.25); }, -3, 3},
  };
  return c;
}
}  // namespace

TEST(Elementwise, UnaryOpsAllFloatDtypes) {
  for_each_level([] {
    for (const auto& c : unary_cases())
      for (DType dt : float_dtypes())
        for (const Shape& s : {Shape{3, 37}, Shape{0, 4}, Shape{}, Shape{2, 3, 5}})
          for (bool nc : {false, true}) {
            SCOPED_TRACE(std::string(c.name) + " " + name(dt) + " " + transformers::shape_str(s) + (nc ? " noncontig" : ""));
            Tensor a = random(s, dt, c.lo, c.hi);
            const Ref ra = Ref::of(a);
            if (nc) a = noncontig(a);
            const Tensor got = c.op(a);
            EXPECT_EQ(got.dtype(), dt);
            // float32 transcendental kernels may be vectorised approximations: 4 ulp + tiny atol
            Tol t = tol_for(dt);
            if (dt == DType::Float32) t = {5e-6, 2e-6};
            EXPECT_TRUE(close(got, ref_unary(ra, c.ref), t));
          }
  });
}

TEST(Elementwise, UnaryIntInputs) {
  const Tensor i = Tensor::from_vector<int64_t>({-2, 0, 3});
  EXPECT_EQ(ops::exp(i).dtype(), DType::Float32);
  EXPECT_TRUE(close(ops::exp(i), Ref::of(Tensor::from_vector<double>({std::exp(-2.0), 1.0, std::exp(3.0)})), DType::Float32));
  EXPECT_EQ(ops::neg(i).to_vector<int64_t>(), (std::vector<int64_t>{2, 0, -3}));
  EXPECT_EQ(ops::abs(i).to_vector<int64_t>(), (std::vector<int64_t>{2, 0, 3}));
  EXPECT_EQ(ops::relu(i).to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 3}));
  EXPECT_EQ(ops::clamp(i, -1, 1).to_vector<int64_t>(), (std::vector<int64_t>{-1, 0, 1}));
  EXPECT_EQ(ops::pow(i, 2).to_vector<int64_t>(), (std::vector<int64_t>{4, 0, 9}));
  EXPECT_THROW(ops::clamp(i, 2, 1), transformers::ValueError);
}

TEST(Elementwise, SpecialValues) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  const Tensor x = Tensor::from_vector<float>({-INFINITY, -100.f, -0.f, 0.f, 100.f, INFINITY, NAN});
  for_each_level([&] {
    const auto s = ops::sigmoid(x).to_vector<double>();
    EXPECT_EQ(s[0], 0.0);
    EXPECT_EQ(s[5], 1.0);
    EXPECT_TRUE(std::isnan(s[6]));
    const auto e = ops::exp(x).to_vector<double>();
    EXPECT_EQ(e[0], 0.0);
    EXPECT_EQ(e[5], inf);
    EXPECT_TRUE(std::isnan(e[6]));
    const auto r = ops::relu(x).to_vector<double>();
    EXPECT_TRUE(std::isnan(r[6]));  // torch.relu keeps NaN
    const auto t = ops::tanh(x).to_vector<double>();
    EXPECT_EQ(t[0], -1.0);
    EXPECT_EQ(t[5], 1.0);
    const auto si = ops::silu(x).to_vector<double>();
    EXPECT_EQ(si[1], -0.0);
    EXPECT_EQ(si[4], 100.0);
    const auto g = ops::gelu(x).to_vector<double>();
    EXPECT_EQ(g[4], 100.0);
    EXPECT_EQ(g[1], -0.0);
  });
  (void)nan;
}

TEST(Elementwise, ComparisonsAndLogical) {
  for (DType dt : {DType::Float32, DType::BFloat16, DType::Float64, DType::Int64, DType::Int32}) {
    SCOPED_TRACE(name(dt));
    Tensor a = random({3, 1, 4}, dt, -2, 2), b = random({5, 4}, dt, -2, 2);
    // force some equal elements
    b.narrow(0, 0, 1).copy_(a.select(0, 0));
    const Ref ra = Ref::of(a), rb = Ref::of(b);
    struct C { Tensor (*op)(const Tensor&, const Tensor&); double (*f)(double, double); };
    const C cs[] = {{ops::eq, [](double x, double y) { return double(x == y); }},
                    {ops::ne, [](double x, double y) { return double(x != y); }},
                    {ops::lt, [](double x, double y) { return double(x < y); }},
                    {ops::le, [](double x, double y) { return double(x <= y); }},
                    {ops::gt, [](double x, double y) { return double(x > y); }},
                    {ops::ge, [](double x, double y) { return double(x >= y); }}};
    for (const auto& c : cs) {
      const Tensor r = c.op(noncontig(a), b);
      EXPECT_EQ(r.dtype(), DType::Bool);
      EXPECT_TRUE(close(r, ref_binary(ra, rb, c.f), Tol{0, 0}));
    }
    EXPECT_TRUE(close(ops::gt(a, 0.5), ref_unary(ra, [](double x) { return double(x > 0.5); }), Tol{0, 0}));
    EXPECT_TRUE(close(ops::eq(a, 1.0), ref_unary(ra, [](double x) { return double(x == 1.0); }), Tol{0, 0}));
    EXPECT_TRUE(close(ops::le(a, -1.0), ref_unary(ra, [](double x) { return double(x <= -1.0); }), Tol{0, 0}));
    EXPECT_TRUE(close(ops::ne(a, 0.0), ref_unary(ra, [](double x) { return double(x != 0.0); }), Tol{0, 0}));
    EXPECT_TRUE(close(ops::lt(a, 0.0), ref_unary(ra, [](double x) { return double(x < 0.0); }), Tol{0, 0}));
    EXPECT_TRUE(close(ops::ge(a, 0.0), ref_unary(ra, [](double x) { return double(x >= 0.0); }), Tol{0, 0}));
  }
  // int tensor vs non-integral scalar compares exactly (2 < 2.5)
  EXPECT_EQ(ops::lt(Tensor::from_vector<int64_t>({2, 3}), 2.5).to_vector<int>(), (std::vector<int>{1, 0}));
  const Tensor p = Tensor::from_vector<bool>({true, true, false, false}), q = Tensor::from_vector<bool>({true, false, true, false});
  EXPECT_EQ(ops::logical_and(p, q).to_vector<int>(), (std::vector<int>{1, 0, 0, 0}));
  EXPECT_EQ(ops::logical_or(p, q).to_vector<int>(), (std::vector<int>{1, 1, 1, 0}));
  EXPECT_EQ(ops::logical_not(p).to_vector<int>(), (std::vector<int>{0, 0, 1, 1}));
  EXPECT_EQ(ops::logical_not(Tensor::from_vector<float>({0.f, 2.f})).to_vector<int>(), (std::vector<int>{1, 0}));
  EXPECT_EQ(ops::eq(Tensor::from_vector<float>({NAN}), Tensor::from_vector<float>({NAN})).item(), 0.0);
  EXPECT_EQ(ops::logical_and(Tensor::zeros({0}, DType::Bool), Tensor::zeros({0}, DType::Bool)).numel(), 0);
}

TEST(Elementwise, WhereAndMaskedFill) {
  for (DType dt : {DType::Float32, DType::BFloat16, DType::Float16, DType::Float64, DType::Int64}) {
    SCOPED_TRACE(name(dt));
    const Tensor cond = ops::gt(random({4, 1, 6}, DType::Float32), 0.0);
    const Tensor a = random({3, 6}, dt), b = random({4, 3, 1}, dt);
    const Ref rc = Ref::of(cond), ra = Ref::of(a), rb = Ref::of(b);
    Ref want(Shape{4, 3, 6});
    for (int64_t i = 0; i < want.numel(); ++i) {
      const auto idx = unravel(i, want.shape);
      want.v[size_t(i)] = rc.bcast(idx) != 0 ? ra.bcast(idx) : rb.bcast(idx);
    }
    const Tensor w = ops::where(noncontig(cond), a, noncontig(b));
    EXPECT_EQ(w.dtype(), dt);
    EXPECT_TRUE(close(w, want, Tol{0, 0}));
    const Tensor mf = ops::masked_fill(noncontig(b.expand({4, 3, 6}).contiguous()), noncontig(cond), -7.0);
    Ref wm(Shape{4, 3, 6});
    for (int64_t i = 0; i < wm.numel(); ++i) {
      const auto idx = unravel(i, wm.shape);
      wm.v[size_t(i)] = rc.bcast(idx) != 0 ? -7.0 : rb.bcast(idx);
    }
    EXPECT_EQ(mf.dtype(), dt);
    EXPECT_TRUE(close(mf, wm, Tol{0, 0}));
  }
  // masked_fill with -inf / dtype min (HF attention masks)
  const Tensor s = Tensor::zeros({2, 2}, DType::BFloat16);
  const Tensor m = Tensor::from_vector<bool>({false, true, false, false}, {2, 2});
  const auto r = ops::masked_fill(s, m, -INFINITY).to_vector<double>();
  EXPECT_TRUE(std::isinf(r[1]) && r[1] < 0);
  EXPECT_EQ(r[0], 0.0);
  EXPECT_THROW(ops::masked_fill(s, Tensor::ones({2, 2}, DType::Float32), 0), transformers::ValueError);
  EXPECT_THROW(ops::masked_fill(s, Tensor::ones({3}, DType::Bool), 0), transformers::ShapeError);
  EXPECT_EQ(ops::where(Tensor::zeros({0, 2}, DType::Bool), Tensor::ones({2}), Tensor::zeros({1})).sizes(), (Shape{0, 2}));
}

TEST(Elementwise, ActivationNames) {
  const Tensor x = random({2, 9}, DType::Float32, -4, 4);
  const Ref rx = Ref::of(x);
  EXPECT_TRUE(close(ops::activation(x, "gelu"), ref_unary(rx, gelu_erf), DType::Float32));
  EXPECT_TRUE(close(ops::activation(x, "gelu_new"), ref_unary(rx, gelu_tanh), DType::Float32));
  EXPECT_TRUE(close(ops::activation(x, "gelu_pytorch_tanh"), ref_unary(rx, gelu_tanh), DType::Float32));
  EXPECT_TRUE(close(ops::activation(x, "relu"), ref_unary(rx, [](double v) { return v > 0 ? v : 0; }), DType::Float32));
  EXPECT_TRUE(close(ops::activation(x, "silu"), ref_unary(rx, [](double v) { return v * sigm(v); }), DType::Float32));
  EXPECT_TRUE(close(ops::activation(x, "swish"), ref_unary(rx, [](double v) { return v * sigm(v); }), DType::Float32));
  EXPECT_TRUE(close(ops::activation(x, "tanh"), ref_unary(rx, [](double v) { return std::tanh(v); }), DType::Float32));
  EXPECT_TRUE(close(ops::activation(x, "sigmoid"), ref_unary(rx, sigm), DType::Float32));
  EXPECT_THROW(ops::activation(x, "mish_unknown"), transformers::UnsupportedError);
}

TEST(Elementwise, InPlaceAdd) {
  for (DType dt : float_dtypes()) {
    Tensor a = random({3, 4}, dt);
    const Tensor b = random({4}, dt);
    const Ref want = ref_binary(Ref::of(a), Ref::of(b), [](double x, double y) { return x + y; });
    const void* p = a.data_ptr();
    ops::add_(a, b);
    EXPECT_EQ(a.data_ptr(), p);
    EXPECT_TRUE(close(a, want, dt));
  }
  // a non-contiguous destination is updated in place too
  Tensor base = Tensor::zeros({4, 3});
  Tensor view = base.t();
  ops::add_(view, Tensor::ones({3, 4}));
  EXPECT_EQ(ops::sum(base).item(), 12.0);
  Tensor i = Tensor::zeros({2}, DType::Int64);
  EXPECT_THROW(ops::add_(i, Tensor::ones({2})), transformers::ValueError);
  Tensor small = Tensor::zeros({2});
  EXPECT_THROW(ops::add_(small, Tensor::ones({3, 2})), transformers::ShapeError);
}

TEST(Elementwise, ErrorsNameShapes) {
  try {
    ops::add(Tensor::ones({2, 3}), Tensor::ones({4}));
    FAIL();
  } catch (const transformers::ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3]"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("[4]"), std::string::npos);
  }
  EXPECT_THROW(ops::add(Tensor(), Tensor::ones({1})), transformers::ValueError);
}

// The vectorised float32 <-> 16-bit casts used around 16-bit ops give the core's (torch's) bits.
TEST(Elementwise, SixteenBitRoundTripMatchesCoreConversions) {
  std::vector<float> v;
  std::mt19937 g(3);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 70000; ++i) v.push_back(transformers::bits_float(bits(g)));
  for (float f : {0.f, -0.f, 1.0f + 1.0f / 256, 65504.f, 65520.f, INFINITY, -INFINITY, NAN, 1e-8f, 3.0f * 5.96e-8f}) v.push_back(f);
  const Tensor x = Tensor::from_vector(v);
  for_each_level([&] {
    for (DType dt : {DType::BFloat16, DType::Float16}) {
      // add 0 in the 16-bit dtype: cast in, compute, cast out through the fast path
      const Tensor h = ops::mul(x.to(dt), 1.0);
      const Tensor want = x.to(dt);
      ASSERT_EQ(h.numel(), want.numel());
      const auto* a = static_cast<const uint16_t*>(h.data_ptr());
      const auto* b = static_cast<const uint16_t*>(want.data_ptr());
      int bad = 0;
      for (int64_t i = 0; i < h.numel(); ++i) {
        const bool both_nan = (a[i] & 0x7fff) > (dt == DType::BFloat16 ? 0x7f80 : 0x7c00) &&
                              (b[i] & 0x7fff) > (dt == DType::BFloat16 ? 0x7f80 : 0x7c00);
        if (a[i] != b[i] && !(both_nan && dt == DType::Float16)) ++bad;  // float16 NaN payloads may differ after x*1
      }
      EXPECT_EQ(bad, 0) << name(dt);
      // and straight float32 -> 16-bit -> float32 through the op layer (relu keeps values)
      const Tensor r = ops::relu(x.to(dt)).to(DType::Float32);
      const Tensor rr = ops::relu(x).to(dt).to(DType::Float32);
      EXPECT_TRUE(close(r, Ref::of(rr), Tol{0, 0}));
    }
  });
}
