// bf16 x bf16 products on vdpbf16ps (bf16_matmul.hpp).
#include "ops/cpu/bf16_matmul.hpp"

#include <algorithm>
#include <vector>

#include "ops/cpu/bf16_gemm.hpp"
#include "transformers/core/parallel.hpp"

namespace transformers::ops::detail {

namespace {
// At and below this many rows the per-call pack of b (one read and write of b) costs more than the
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

// One strided view of bf16 elements: element (r, c) at p[r*rs + c*cs].
struct View {
  const uint16_t* p;
  int64_t rs, cs;
};

// Scratch of n bf16 elements from the storage allocator: its size-class cache hands the same
// blocks back every training step, where a fresh malloc of a large block (lm_head's 77 MB pack of
// wte, the 51 MB transposed logits gradient) is a new mapping that page-faults on every page.
Tensor scratch16(int64_t n) { return Tensor::empty({std::max<int64_t>(n, 1)}, DType::BFloat16); }

// y [M, N] (bf16, row stride N) = a [M, K] @ b [K, N], each output rounded once from its float32
// sum. False when the native kernels are off (no memory for the scratch throws, as any allocation).
bool product(int64_t M, int64_t K, int64_t N, View a, View b, uint16_t* y) {
  // a's rows must be unit-stride runs of k (the kernel reads k pairs as one dword).
  Tensor a_rows;
  const uint16_t* pa = a.p;
  int64_t lda = a.rs;
  if (a.cs != 1 || (M > 1 && lda < K)) {
    a_rows = scratch16(M * K);
    auto* rows = static_cast<uint16_t*>(a_rows.mutable_data_ptr());
    copy_tiles(a.p, a.rs, a.cs, M, K, rows);
    pa = rows;
    lda = K;
  }
  Tensor packed = scratch16(bf16_packed_b_elems(K, N));
  auto* pp = static_cast<uint16_t*>(packed.mutable_data_ptr());
  bf16_pack_b(K, N, b.p, b.rs, b.cs, pp);
  return bf16_gemm_packed_bf16(M, N, K, pa, lda, pp, nullptr, y, N);
}

bool applies(const Tensor& a, const Tensor& b) {
  return a.dtype() == DType::BFloat16 && b.dtype() == DType::BFloat16 && bf16_dot_available() && a.dim() >= 2 &&
         b.dim() >= 2 && a.size(-1) == b.size(-2) && a.size(-2) > kMinRows && a.size(-1) > 0 && b.size(-1) > 0;
}
}  // namespace

Tensor matmul_bf16_native(const Tensor& a, const Tensor& b) {
  if (a.dim() != 2 || b.dim() != 2 || !applies(a, b)) return Tensor();
  const int64_t M = a.size(0), K = a.size(1), N = b.size(1);
  Tensor y = Tensor::empty({M, N}, DType::BFloat16);
  const auto* pa = static_cast<const uint16_t*>(a.data_ptr());
  const auto* pb = static_cast<const uint16_t*>(b.data_ptr());
  if (!product(M, K, N, {pa, a.stride(0), a.stride(1)}, {pb, b.stride(0), b.stride(1)},
               static_cast<uint16_t*>(y.mutable_data_ptr())))
    return Tensor();
  return y;
}

Tensor bmm_bf16_native(const Tensor& a, const Tensor& b) {
  if (a.dim() < 3 || a.dim() != b.dim() || !applies(a, b)) return Tensor();
  const int64_t nd = a.dim() - 2;
  for (int64_t d = 0; d < nd; ++d)
    if (a.size(d) != b.size(d)) return Tensor();
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  Shape osh(a.sizes().begin(), a.sizes().end() - 2);
  const int64_t nb = shape_numel(osh);
  osh.insert(osh.end(), {M, N});
  Tensor y = Tensor::empty(osh, DType::BFloat16);
  const auto* pa = static_cast<const uint16_t*>(a.data_ptr());
  const auto* pb = static_cast<const uint16_t*>(b.data_ptr());
  auto* py = static_cast<uint16_t*>(y.mutable_data_ptr());
  // Slices in parallel, each product on its thread (parallel_for runs inline inside the pool):
  // attention's per-head products are too small to split.
  std::vector<char> ok(size_t(nb), 1);
  parallel_for(0, nb, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      int64_t rem = i, oa = 0, ob = 0;
      for (int64_t d = nd; d-- > 0;) {
        const int64_t id = rem % a.size(d);
        rem /= a.size(d);
        oa += id * a.stride(d);
        ob += id * b.stride(d);
      }
      ok[size_t(i)] = product(M, K, N, {pa + oa, a.stride(-2), a.stride(-1)}, {pb + ob, b.stride(-2), b.stride(-1)},
                              py + i * M * N);
    }
  });
  if (std::find(ok.begin(), ok.end(), 0) != ok.end()) return Tensor();
  return y;
}

}  // namespace transformers::ops::detail
