// The scalar level of the block-quantized GEMM, the table of every level, and the activation
// quantizer all levels share (so the integer dot products are the same at every level).
#include "ops/cpu/quant_gemm.hpp"

// The scalar level's 32-byte generic vectors are wider than baseline registers; every function
// passing them has internal linkage, so the ABI note -Wpsabi gives at the instantiations is moot.
#pragma GCC diagnostic ignored "-Wpsabi"

#include <cmath>

#include "core/isa/level_table.hpp"
#include "ops/cpu/quant_gemm_impl.hpp"
#include "ops/cpu/quant_gemm_q235.hpp"

namespace transformers::ops::detail {

template const QuantKernels& quant_kernels<KernelLevel::Scalar>();

const QuantKernels& current_quant_kernels() {
  static const isa::LevelTable<QuantKernels> table{
      {KernelLevel::Scalar, &quant_kernels<KernelLevel::Scalar>()},
      {KernelLevel::Avx2, &quant_kernels<KernelLevel::Avx2>()},
      {KernelLevel::Avx512, &quant_kernels<KernelLevel::Avx512>()},
      {KernelLevel::Avx512Vnni, &quant_kernels<KernelLevel::Avx512Vnni>()},
  };
  return table.current();
}

bool quant_gemm_supported(DType wt) {
  return wt == DType::Q8_0 || wt == DType::Q4_0 || wt == DType::Q4_1 || wt == DType::Q4_K || wt == DType::Q6_K ||
         quant_gemm_q235_supported(wt);
}

bool quantize_rows_q8(const float* x, int64_t M, int64_t K, QuantizedRows& out) {
  const int64_t nb = K / 32;
  out.M = M;
  out.K = K;
  out.q.resize(size_t(M * K));
  out.d.resize(size_t(M * nb));
  out.sum.resize(size_t(M * nb));
  out.sum16.resize(size_t(M * nb * 2));
  for (int64_t b = 0; b < M * nb; ++b) {
    const float* xb = x + b * 32;  // rows are whole blocks, so blocks run on across rows
    float amax = 0;
    for (int j = 0; j < 32; ++j) {
      if (!std::isfinite(xb[j])) return false;
      amax = std::fmax(amax, std::fabs(xb[j]));
    }
    // d = amax / 127: the largest element maps to +-127 exactly; a zero block stays zero.
    const float d = amax / 127.0f, id = d > 0 ? 1.0f / d : 0.0f;
    int8_t* q = out.q.data() + b * 32;
    int32_t s[2] = {0, 0};
    for (int j = 0; j < 32; ++j) {
      const float v = std::nearbyint(xb[j] * id);
      q[j] = int8_t(v > 127.0f ? 127 : v < -127.0f ? -127 : int(v));
      s[j / 16] += q[j];
    }
    out.d[size_t(b)] = d;
    out.sum16[size_t(2 * b)] = s[0];
    out.sum16[size_t(2 * b + 1)] = s[1];
    out.sum[size_t(b)] = s[0] + s[1];
  }
  return true;
}

}  // namespace transformers::ops::detail
