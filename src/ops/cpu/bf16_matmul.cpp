// bf16 x bf16 products on vdpbf16ps (bf16_matmul.hpp).
#include "ops/cpu/bf16_matmul.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "ops/cpu/bf16_gemm.hpp"
#include "transformers/core/parallel.hpp"

namespace transformers::ops::detail {

namespace {
// Below this many rows the per-call pack of b (one read and write of b) costs more than the
// widening path's conversions save (the same threshold as linear_bf16_native's).
constexpr int64_t kMinRows = 16;

// dst [R, C] (row-major, bf16) = src(r, c) = src[r*rs + c*cs], copied in 32 x 32 tiles so both the
// strided reads and the writes stay in cache (the gradient's transpose for grad^T @ x).
void copy_tiles(const uint16_t* src, int64_t rs, int64_t cs, int64_t R, int64_t C, uint16_t* dst) {
  constexpr int64_t kTile = 32;
  const int64_t tiles_r = (R + kTile - 1) / kTile;
  parallel_for(0, tiles_r, 4, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t r0 = t * kTile, r1 = std::min(R, r0 + kTile);
      for (int64_t c0 = 0; c0 < C; c0 += kTile) {
        const int64_t c1 = std::min(C, c0 + kTile);
        for (int64_t r = r0; r < r1; ++r)
          for (int64_t c = c0; c < c1; ++c) dst[r * C + c] = src[r * rs + c * cs];
      }
    }
  });
}
}  // namespace

Tensor matmul_bf16_native(const Tensor& a, const Tensor& b) {
  if (a.dtype() != DType::BFloat16 || b.dtype() != DType::BFloat16 || a.dim() != 2 || b.dim() != 2 ||
      !bf16_dot_available())
    return Tensor();
  const int64_t M = a.size(0), K = a.size(1), N = b.size(1);
  if (b.size(0) != K || M <= kMinRows || K == 0 || N == 0) return Tensor();
  const auto* pa = static_cast<const uint16_t*>(a.data_ptr());
  const auto* pb = static_cast<const uint16_t*>(b.data_ptr());
  // a's rows must be unit-stride runs of k (the kernel reads k pairs as one dword).
  Tensor a_rows;
  int64_t lda = a.stride(0);
  if (a.stride(1) != 1 || (M > 1 && lda < K)) {
    a_rows = Tensor::empty({M, K}, DType::BFloat16);
    copy_tiles(pa, a.stride(0), a.stride(1), M, K, static_cast<uint16_t*>(a_rows.data_ptr()));
    pa = static_cast<const uint16_t*>(a_rows.data_ptr());
    lda = K;
  }
  std::unique_ptr<void, decltype(&std::free)> packed(
      std::aligned_alloc(64, size_t((bf16_packed_b_elems(K, N) * 2 + 63) / 64 * 64)), &std::free);
  if (!packed) return Tensor();
  auto* pp = static_cast<uint16_t*>(packed.get());
  bf16_pack_b(K, N, pb, b.stride(0), b.stride(1), pp);
  Tensor y = Tensor::empty({M, N}, DType::Float32);
  bf16_gemm_packed(M, N, K, pa, lda, pp, nullptr, y.data<float>(), N);
  return y.to(DType::BFloat16);
}

}  // namespace transformers::ops::detail
