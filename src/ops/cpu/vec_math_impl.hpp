#pragma once
// Vectorised float32 transcendental loops (vec_math.hpp), written once over the level's vector
// Vec<L> (core/isa/vec.hpp) and built by the level files (isa_kernels_avx2.cpp / _avx512.cpp).
// Accuracy: exp ~1-2 ulp, tanh/sigmoid/silu ~2 ulp relative for |results| >~ 1e-6 (absolute
// 1.2e-7 near 0), erf (Abramowitz-Stegun 7.1.26) absolute 1.5e-7 - all inside the float32
// tolerances of tests/ops.
#include <cstdint>
#include <limits>

#include "core/isa/vec.hpp"
#include "ops/op_kinds.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace transformers::ops::detail {
namespace {

template <KernelLevel L>
struct VecMath {
  using V = isa::Vec<L>;
  using vf = typename V::T;
  using vi = typename V::I;
  static constexpr int64_t VW = V::kWidth;
  static vf loadu(const float* p) { return V::load(p); }
  static void storeu(float* p, vf v) { V::store(p, v); }
  static vf splat(float f) { return V::set1(f); }

static vf vexp(vf x) {
  const vf inf = splat(std::numeric_limits<float>::infinity());
  vf xc = x < -87.0f ? splat(-87.0f) : x;
  xc = xc > 88.5f ? splat(88.5f) : xc;
  const vf t = xc * 1.44269504088896341f;
  const vf n = (t + 12582912.0f) - 12582912.0f;
  const vf r = (xc - n * 0.693145751953125f) - n * 1.428606765330187045e-06f;
  vf p = splat(1.0f / 720.0f);
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const vi e = (__builtin_convertvector(n, vi) + 127) << 23;
  vf res = p * reinterpret_cast<const vf&>(e);
  res = x < -87.0f ? splat(0.0f) : res;
  res = x > 88.5f ? inf : res;
  return x != x ? x : res;
}

static vf vsigmoid(vf x) { return 1.0f / (1.0f + vexp(-x)); }

static vf vtanh(vf x) {
  const vf ax = x < 0.0f ? -x : x;
  const vf t = 1.0f - 2.0f / (vexp(2.0f * ax) + 1.0f);
  const vf r = x < 0.0f ? -t : t;
  return x != x ? x : r;
}

// 1 + erf(x) without cancellation for negative x (Abramowitz-Stegun 7.1.26 on |x|).
static vf vone_plus_erf(vf x) {
  const vf ax = x < 0.0f ? -x : x;
  const vf t = 1.0f / (1.0f + 0.3275911f * ax);
  vf p = splat(1.061405429f);
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const vf q = p * t * vexp(-(ax * ax));  // = erfc(|x|)
  return x < 0.0f ? q : 2.0f - q;
}

// HF "gelu" (erf form), also the GEMM epilogue's (sgemm_impl.hpp), so fused and unfused agree.
static vf gelu_erf(vf v) { return 0.5f * v * vone_plus_erf(v * 0.70710678118654752440f); }

template <typename F>
static void apply(float* o, const float* x, int64_t n, F f) {
  int64_t i = 0;
  for (; i + VW <= n; i += VW) storeu(o + i, f(loadu(x + i)));
  if (i < n) {
    // last partial vector through a padded buffer so tails use the same formula
    float buf[VW] = {};
    for (int64_t k = 0; i + k < n; ++k) buf[k] = x[i + k];
    float out[VW];
    storeu(out, f(loadu(buf)));
    for (int64_t k = 0; i + k < n; ++k) o[i + k] = out[k];
  }
}

// False when the op has no vector form here (the caller runs its scalar loop).
static bool unary(UnaryOp op, float* o, const float* x, int64_t n) {
  switch (op) {
    case UnaryOp::Exp: apply(o, x, n, [](vf v) { return vexp(v); }); return true;
    case UnaryOp::Tanh: apply(o, x, n, [](vf v) { return vtanh(v); }); return true;
    case UnaryOp::Sigmoid: apply(o, x, n, [](vf v) { return vsigmoid(v); }); return true;
    case UnaryOp::Silu: apply(o, x, n, [](vf v) { return v * vsigmoid(v); }); return true;
    case UnaryOp::GeluErf: apply(o, x, n, [](vf v) { return gelu_erf(v); }); return true;
    case UnaryOp::GeluTanh:
      apply(o, x, n, [](vf v) { return 0.5f * v * (1.0f + vtanh(0.79788456080286535588f * (v + 0.044715f * v * v * v))); });
      return true;
    case UnaryOp::GeluFast:
      apply(o, x, n, [](vf v) { return 0.5f * v * (1.0f + vtanh(v * 0.7978845608f * (1.0f + 0.044715f * v * v))); });
      return true;
    case UnaryOp::QuickGelu: apply(o, x, n, [](vf v) { return v * vsigmoid(1.702f * v); }); return true;
    default: return false;
  }
}

// The last n < VW elements of x in a vector, the other lanes `fill`.
static vf load_tail(const float* x, int64_t n, float fill) {
  float buf[VW];
  for (int64_t k = 0; k < VW; ++k) buf[k] = k < n ? x[k] : fill;
  return loadu(buf);
}

// out = g * d op(x) / dx, the derivatives of the backward formulas (src/ops/autograd/elementwise.cpp)
// in float32; tails through padded buffers as in apply.
template <typename F>
static void apply_grad(float* o, const float* g, const float* x, int64_t n, F d) {
  int64_t i = 0;
  for (; i + VW <= n; i += VW) storeu(o + i, loadu(g + i) * d(loadu(x + i)));
  if (i < n) {
    float gb[VW] = {}, xb[VW] = {}, out[VW];
    for (int64_t k = 0; i + k < n; ++k) {
      gb[k] = g[i + k];
      xb[k] = x[i + k];
    }
    storeu(out, loadu(gb) * d(loadu(xb)));
    for (int64_t k = 0; i + k < n; ++k) o[i + k] = out[k];
  }
}

static bool unary_backward(UnaryOp op, float* o, const float* g, const float* x, int64_t n) {
  switch (op) {
    case UnaryOp::GeluErf:  // Phi(x) + x phi(x)
      apply_grad(o, g, x, n, [](vf v) {
        return 0.5f * vone_plus_erf(v * 0.70710678118654752440f) + v * 0.39894228040143267794f * vexp(-0.5f * v * v);
      });
      return true;
    case UnaryOp::GeluTanh:
    case UnaryOp::GeluFast:  // the same curve: 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2)
      apply_grad(o, g, x, n, [](vf v) {
        const float k = 0.79788456080286535588f, c = 0.044715f;
        const vf t = vtanh(k * (v + c * v * v * v));
        return 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * k * (1.0f + 3.0f * c * v * v);
      });
      return true;
    case UnaryOp::Silu:  // s (1 + x (1 - s))
      apply_grad(o, g, x, n, [](vf v) {
        const vf sg = vsigmoid(v);
        return sg * (1.0f + v * (1.0f - sg));
      });
      return true;
    default: return false;
  }
}

// Softmax of one contiguous row; false (caller falls back) when the row holds a NaN.
// A row's last partial vector is padded with -inf (exp gives 0 there), so a short row (an encoder's
// attention over ~24 keys) costs one vexp per vector, not one per tail element.
static bool softmax_row(float* o, const float* x, int64_t n, bool log) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const int64_t nfull = n / VW * VW, tail = n - nfull;
  vf vm = splat(kNegInf);
  vi nan = vi{};
  for (int64_t i = 0; i < nfull; i += VW) {
    const vf v = loadu(x + i);
    vm = v > vm ? v : vm;
    nan |= (v != v);
  }
  if (tail) {
    const vf v = load_tail(x + nfull, tail, kNegInf);
    vm = v > vm ? v : vm;
    nan |= (v != v);
  }
  float m = kNegInf;
  bool has_nan = false;
  for (int64_t k = 0; k < VW; ++k) {
    m = vm[k] > m ? vm[k] : m;
    has_nan |= nan[k] != 0;
  }
  if (has_nan || m == kNegInf || m == std::numeric_limits<float>::infinity())
    return false;  // NaN / all -inf / +inf rows: the scalar path gives torch's NaN semantics
  vf vs = vf{};
  for (int64_t i = 0; i < nfull; i += VW) {
    const vf e = vexp(loadu(x + i) - m);
    if (!log) storeu(o + i, e);
    vs += e;
  }
  if (tail) {
    const vf e = vexp(load_tail(x + nfull, tail, kNegInf) - m);
    if (!log) V::store_n(o + nfull, e, tail);
    vs += e;
  }
  float s = 0.0f;
  for (int64_t k = 0; k < VW; ++k) s += vs[k];
  if (log) {
    const float ls = __builtin_logf(s);  // builtin: no weak std:: symbol built with this file's ISA flags
    for (int64_t k = 0; k < n; ++k) o[k] = x[k] - m - ls;
  } else {
    const float inv = 1.0f / s;
    for (int64_t k = 0; k < n; ++k) o[k] *= inv;
  }
  return true;
}
};

}  // namespace
}  // namespace transformers::ops::detail

#pragma GCC diagnostic pop
