// bf16 Linear / Conv1D products on vdpbf16ps (bf16_linear.hpp): the weight packed once (cached for
// read-only weights, packed_weights.hpp), x kept bf16 (no float32 copy of the activations).
#include "ops/cpu/bf16_linear.hpp"

#include <cstdlib>
#include <memory>

#include "ops/cpu/bf16_gemm.hpp"
#include "ops/cpu/packed_weights.hpp"

namespace transformers::ops::detail {

namespace {
// Rows at and below which a per-call pack is not worth it (it reads and writes the whole weight,
// a few-row product reads it once).
constexpr int64_t kPackPerCallMinRows = 16;
}  // namespace

Tensor linear_bf16_native(const Tensor& x, const Tensor& w, bool kn_layout, const Tensor& bias) {
  if (w.dtype() != DType::BFloat16 || x.dtype() != DType::BFloat16 || w.dim() != 2 || !bf16_dot_available())
    return Tensor();
  const int64_t K = kn_layout ? w.size(0) : w.size(1), N = kn_layout ? w.size(1) : w.size(0);
  if (x.dim() == 0 || x.size(-1) != K || K == 0 || N == 0) return Tensor();
  const int64_t M = shape_numel(Shape(x.sizes().begin(), x.sizes().end() - 1));
  if (M == 0) return Tensor();
  // B(k, n) = p[k*rs + n*cs]
  const int64_t rs = kn_layout ? w.stride(0) : w.stride(1), cs = kn_layout ? w.stride(1) : w.stride(0);
  if (rs != 1 && cs != 1) return Tensor();
  const auto* pw = static_cast<const uint16_t*>(w.data_ptr());
  const uint16_t* packed = packed_weight_bf16(w, pw, rs, cs, K, N);
  std::unique_ptr<void, decltype(&std::free)> own(nullptr, &std::free);
  if (packed == nullptr) {
    if (M <= kPackPerCallMinRows) return Tensor();
    own.reset(std::aligned_alloc(64, size_t((bf16_packed_b_elems(K, N) * 2 + 63) / 64 * 64)));
    if (!own) return Tensor();
    bf16_pack_b(K, N, pw, rs, cs, static_cast<uint16_t*>(own.get()));
    packed = static_cast<const uint16_t*>(own.get());
  }
  const Tensor xc = x.reshape({M, K}).contiguous();
  const Tensor bf = bias.defined() ? bias.to(DType::BFloat16).to(DType::Float32).contiguous() : Tensor();
  // Written bf16 by the kernel: the float32 product and its cast were one more pass over M x N
  // floats and one more parallel job per Linear (7 of a decoder layer's ~23; bits unchanged).
  Tensor y = Tensor::empty({M, N}, DType::BFloat16);
  bf16_gemm_packed_bf16(M, N, K, static_cast<const uint16_t*>(xc.data_ptr()), K, packed,
                        bf.defined() ? bf.data<float>() : nullptr, static_cast<uint16_t*>(y.data_ptr()), N);
  Shape osh(x.sizes().begin(), x.sizes().end() - 1);
  osh.push_back(N);
  return y.view(osh);
}

}  // namespace transformers::ops::detail
