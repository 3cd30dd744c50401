// The scalar level of the int8 GEMM, the table of every level, the weight packer and the activation
// quantizer all levels share (int8_gemm.hpp).
#include "ops/cpu/int8_gemm.hpp"

#pragma GCC diagnostic ignored "-Wpsabi"

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "core/isa/level_table.hpp"
#include "ops/cpu/int8_gemm_impl.hpp"
#include "transformers/core/parallel.hpp"

namespace transformers::ops::detail {

template const Int8Kernels& int8_kernels<KernelLevel::Scalar>();

const Int8Kernels& current_int8_kernels() {
  static const isa::LevelTable<Int8Kernels> table{
      {KernelLevel::Scalar, &int8_kernels<KernelLevel::Scalar>()},
      {KernelLevel::Avx2, &int8_kernels<KernelLevel::Avx2>()},
      {KernelLevel::Avx512Vnni, &int8_kernels<KernelLevel::Avx512Vnni>()},
  };
  return table.current();
}

namespace {
// Round half to even for |v| < 2^22 (the values here are within +-127.5): adding and subtracting
// 1.5 * 2^23 leaves the nearest integer under the default rounding mode, as std::nearbyint does, but
// inline and vectorisable (nearbyint and fmax are libm calls at the baseline ISA: they took 28 % of
// the int8 products' time in GPT-2 prefill, perf record).
inline float round_even(float v) {
  constexpr float k = 12582912.0f;
  return (v + k) - k;
}
// Symmetric int8 of v / d with inv = 1 / d, d = amax / 127: the largest magnitude maps to +-127
// exactly, a zero row stays zero.
inline int8_t to_int8(float v, float inv) {
  const float r = round_even(v * inv);
  return int8_t(r > 127.0f ? 127 : r < -127.0f ? -127 : int(r));
}
// max |v[k * stride]| over K values; false when one is NaN or infinite.
inline bool finite_amax(const float* v, int64_t K, int64_t stride, float& amax) {
  bool finite = true;
  float m = 0;
  for (int64_t k = 0; k < K; ++k) {
    const float a = std::fabs(v[k * stride]);
    finite &= a <= std::numeric_limits<float>::max();
    m = a > m ? a : m;
  }
  amax = m;
  return finite;
}
}  // namespace

std::shared_ptr<Int8Weight> int8_quantize_weight(const float* w, int64_t N, int64_t K, int64_t ns, int64_t ks) {
  if (N <= 0 || K <= 0 || K > kInt8MaxK) return nullptr;
  auto out = std::make_shared<Int8Weight>();
  out->N = N;
  out->K = K;
  out->Kp = (K + 3) / 4 * 4;
  const int64_t strips = out->strips(), lanes = strips * kInt8Strip;
  const size_t qbytes = size_t(strips * out->Kp * kInt8Strip);  // a multiple of 64: Kp % 4 == 0
  out->q = std::unique_ptr<int8_t[], void (*)(void*)>(static_cast<int8_t*>(std::aligned_alloc(64, qbytes)), &std::free);
  if (!out->q) return nullptr;
  std::memset(out->q.get(), 0, qbytes);
  out->scale.assign(size_t(lanes), 0.0f);
  out->offset.assign(size_t(lanes), 0);
  std::atomic<bool> finite{true};
  parallel_for(0, N, 16, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* row = w + n * ns;
      float amax = 0;
      if (!finite_amax(row, K, ks, amax)) finite = false;
      const float d = amax / 127.0f, inv = d > 0 ? 1.0f / d : 0.0f;
      int8_t* strip = out->q.get() + (n / kInt8Strip) * out->Kp * kInt8Strip;
      int32_t sum = 0;
      for (int64_t k = 0; k < K; ++k) {
        const int8_t q = to_int8(row[k * ks], inv);
        strip[(k / 4) * 4 * kInt8Strip + (n % kInt8Strip) * 4 + k % 4] = q;
        sum += q;
      }
      out->scale[size_t(n)] = d;
      out->offset[size_t(n)] = 128 * sum;
    }
  });
  return finite.load() ? out : nullptr;
}

bool int8_quantize_rows(const float* x, int64_t M, int64_t K, int64_t ldx, Int8Rows& out) {
  out.M = M;
  out.Kp = (K + 3) / 4 * 4;
  out.q.assign(size_t(M * out.Kp), 0);
  out.u.assign(size_t(M * out.Kp), 128);
  out.scale.assign(size_t(M), 0.0f);
  for (int64_t m = 0; m < M; ++m) {
    const float* row = x + m * ldx;
    float amax = 0;
    if (!finite_amax(row, K, 1, amax)) return false;
    const float d = amax / 127.0f, inv = d > 0 ? 1.0f / d : 0.0f;
    int8_t* q = out.q.data() + m * out.Kp;
    uint8_t* u = out.u.data() + m * out.Kp;
    for (int64_t k = 0; k < K; ++k) {
      q[k] = to_int8(row[k], inv);
      u[k] = uint8_t(q[k] + 128);
    }
    out.scale[size_t(m)] = d;
  }
  return true;
}

void int8_gemm(const Int8Weight& w, const Int8Rows& x, const float* bias, float* y, int64_t ldy) {
  const Int8Kernels& k = current_int8_kernels();
  // Tasks of 3 strips (48 channels: the VNNI kernel's block), so blocks are not split.
  const int64_t strips = w.strips(), tasks = (strips + 2) / 3;
  parallel_for(0, tasks, 1, [&](int64_t t0, int64_t t1) {
    k.gemm(w, x, bias, y, ldy, 3 * t0, std::min(strips, 3 * t1));
  });
}

}  // namespace transformers::ops::detail
