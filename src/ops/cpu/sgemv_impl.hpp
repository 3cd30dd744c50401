#pragma once
// Few-row float32 GEMV (decode, sgemm.hpp's sgemv): streams B once, split over the pool. Written
// once over the level's vector Vec<L> (core/isa/vec.hpp) and built by the level files
// (isa_kernels_avx2.cpp, isa_kernels_avx512.cpp); gemv(M, N, K, x, ldx, B, y, ldy, bias) for M in [1, 4].
#include <algorithm>
#include <vector>

#include "core/isa/vec.hpp"
#include "ops/cpu/sgemm.hpp"
#include "ops/cpu/sgemm_impl.hpp"
#include "transformers/core/parallel.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace transformers::ops::detail {
namespace {

template <KernelLevel L>
struct Sgemv {
using V = isa::Vec<L>;
using VT = typename V::T;
static constexpr int kW = V::kWidth;
template <BKind kB>
static VT load_w(const void* base, int64_t idx, int64_t n) { return load_as_f32<L, kB>(base, idx, n); }

static constexpr int64_t kGemvPrefetch = 256;  // elements ahead on each weight row, for long rows
// Conv1D-layout rows shorter than this are split over K rather than over columns (see gemv_m).
static constexpr int64_t kShortRowBytes = 4096;

// B(k, n) contiguous along k (nn.Linear weight row n at w + n*ldw): kM rows of x against 4 weight
// rows at a time; each weight vector feeds kM FMAs and is read once. While a group of four rows is
// read, the next group's rows are prefetched at the same offset: one group (a few KB) ahead covers
// the memory latency, and four short rows per group are too short for the hardware prefetcher to
// ramp up on its own (a fixed distance ahead on each row measured 15-30 % slower per core).
template <BKind kB, int kM>
static void gemv_nk(const float* x, int64_t ldx, int64_t K, const void* w, int64_t ldw, int64_t n0, int64_t n1, float* y,
             int64_t ldy, const float* bias) {
  const int64_t es = kB == BKind::F32 ? 4 : 2;
  const char* wb = static_cast<const char*>(w);
  // Long rows (a group over 16 KB would not stay in L1 until read) keep a fixed distance ahead.
  const bool next_group = 4 * K * es <= 16384;
  int64_t n = n0;
  for (; n < n1; n += 4) {
    const int rows = int(std::min<int64_t>(4, n1 - n));
    VT acc[kM][4];
    for (int m = 0; m < kM; ++m)
      for (int r = 0; r < 4; ++r) acc[m][r] = V::zero();
    const void* wr[4];
    const char* pf[4];
    for (int r = 0; r < 4; ++r) {
      wr[r] = wb + (n + std::min(r, rows - 1)) * ldw * es;
      pf[r] = next_group ? wb + std::min(n + 4 + r, n1 - 1) * ldw * es
                         : static_cast<const char*>(wr[r]) + kGemvPrefetch * es;
    }
    for (int64_t k = 0; k < K; k += kW) {
      const int64_t lm = K - k;
      VT wv[4];
      for (int r = 0; r < 4; ++r) {
        _mm_prefetch(pf[r] + k * es, _MM_HINT_T0);
        wv[r] = load_w<kB>(wr[r], k, lm);
      }
      for (int m = 0; m < kM; ++m) {
        const VT xv = V::load_n(x + m * ldx + k, lm);
        for (int r = 0; r < 4; ++r) acc[m][r] = V::fma(wv[r], xv, acc[m][r]);
      }
    }
    for (int m = 0; m < kM; ++m)
      for (int r = 0; r < rows; ++r) y[m * ldy + n + r] = V::hsum(acc[m][r]) + (bias ? bias[n + r] : 0.0f);
  }
}

// B(k, n) contiguous along n (GPT-2 Conv1D weight [K, N]), one thread's column range [n0, n1):
// y[m][n0, n1) starts at the bias and takes four weight rows per pass (each y load/store in L1
// carries 4*kM FMAs); the next pass's four row segments are prefetched meanwhile, since each pass
// jumps to new pages where the hardware prefetcher would have to start over. One pass over the
// weight, no partial sums to add afterwards; the sum over k runs in order.
template <BKind kB, int kM>
static void gemv_kn_cols(const float* x, int64_t ldx, int64_t K, const void* w, int64_t ldw, int64_t n0, int64_t n1, float* y,
                  int64_t ldy, const float* bias) {
  const int64_t es = kB == BKind::F32 ? 4 : 2;
  const char* wb = static_cast<const char*>(w);
  for (int m = 0; m < kM; ++m)
    for (int64_t n = n0; n < n1; n += kW) V::store_n(y + m * ldy + n, bias ? V::load_n(bias + n, n1 - n) : V::zero(), n1 - n);
  for (int64_t k = 0; k < K; k += 4) {
    const int rows = int(std::min<int64_t>(4, K - k));
    VT xb[kM][4];
    const char* wr[4];
    const char* pf[4];
    for (int r = 0; r < 4; ++r) {
      wr[r] = wb + (k + std::min(r, rows - 1)) * ldw * es;
      pf[r] = wb + std::min(k + 4 + r, K - 1) * ldw * es;
      for (int m = 0; m < kM; ++m) xb[m][r] = V::set1(r < rows ? x[m * ldx + k + r] : 0.0f);
    }
    for (int64_t n = n0; n < n1; n += kW) {
      const int64_t lm = n1 - n;
      VT wv[4];
      for (int r = 0; r < 4; ++r) {
        _mm_prefetch(pf[r] + n * es, _MM_HINT_T0);
        wv[r] = load_w<kB>(wr[r], n, lm);
      }
      for (int m = 0; m < kM; ++m) {
        VT p = V::load_n(y + m * ldy + n, lm);
        if (rows == 4)
          for (int r = 0; r < 4; ++r) p = V::fma(wv[r], xb[m][r], p);
        else  // last rows of K: no product with a repeated row (0 * inf would make a NaN)
          for (int r = 0; r < rows; ++r) p = V::fma(wv[r], xb[m][r], p);
        V::store_n(y + m * ldy + n, p, lm);
      }
    }
  }
}

template <BKind kB, int kM>
static void gemv_m(int64_t N, int64_t K, const float* x, int64_t ldx, const GemmOperand& B, float* y, int64_t ldy,
            const float* bias) {
  const bool serial = N * K < (int64_t(1) << 16) || get_num_threads() == 1;
  if (B.rs == 1 && (B.cs != 1 || N == 1)) {
    auto body = [&](int64_t g0, int64_t g1) {
      gemv_nk<kB, kM>(x, ldx, K, B.p, B.cs, g0 * 4, std::min(N, g1 * 4), y, ldy, bias);
    };
    const int64_t groups = (N + 3) / 4;
    if (serial) body(0, groups);
    else parallel_for(0, groups, 16, body);
    return;
  }
  const int64_t es = kB == BKind::F32 ? 4 : 2;
  const int64_t T = get_num_threads();
  if (!serial && N * es < kShortRowBytes && K >= 64 * T) {
    // Short weight rows (GPT-2's 768-wide projections): split K instead, so each thread streams
    // one contiguous band of whole rows (column ranges would be a few hundred bytes per row).
    // Band 0 goes to y with the bias; the others to partial rows added afterwards (kM x N floats).
    thread_local std::vector<float> part_buf;  // the caller's; workers get the pointer
    part_buf.resize(size_t((T - 1) * kM * N));
    float* const part = part_buf.data();
    const char* wb = static_cast<const char*>(B.p);
    parallel_for(0, T, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t k0 = K * p / T, k1 = K * (p + 1) / T;
        float* dst = p == 0 ? y : part + (p - 1) * kM * N;
        gemv_kn_cols<kB, kM>(x + k0, ldx, k1 - k0, wb + k0 * B.rs * es, B.rs, 0, N, dst, p == 0 ? ldy : N,
                             p == 0 ? bias : nullptr);
      }
    });
    for (int64_t p = 1; p < T; ++p)
      for (int m = 0; m < kM; ++m) {
        const float* src = part + ((p - 1) * kM + m) * N;
        for (int64_t n = 0; n < N; n += kW) V::store_n(y + m * ldy + n, V::add(V::load_n(y + m * ldy + n, N - n), V::load_n(src + n, N - n)), N - n);
      }
    return;
  }
  // Split N: each thread streams all K rows of its column range (bias first, no reduction pass).
  // Two ranges per thread: some balance when a thread is late, rows still hundreds of bytes long.
  const int64_t nvec = (N + kW - 1) / kW;
  auto body = [&](int64_t v0, int64_t v1) {
    gemv_kn_cols<kB, kM>(x, ldx, K, B.p, B.rs, v0 * kW, std::min(N, v1 * kW), y, ldy, bias);
  };
  const int64_t ranges = 2 * T;
  if (serial) body(0, nvec);
  else parallel_for(0, nvec, std::max<int64_t>(1, (nvec + ranges - 1) / ranges), body);
}

template <BKind kB>
static void gemv(int64_t M, int64_t N, int64_t K, const float* x, int64_t ldx, const GemmOperand& B, float* y, int64_t ldy,
          const float* bias) {
  switch (M) {
    case 1: gemv_m<kB, 1>(N, K, x, ldx, B, y, ldy, bias); return;
    case 2: gemv_m<kB, 2>(N, K, x, ldx, B, y, ldy, bias); return;
    case 3: gemv_m<kB, 3>(N, K, x, ldx, B, y, ldy, bias); return;
    default: gemv_m<kB, 4>(N, K, x, ldx, B, y, ldy, bias); return;
  }
}


static void sgemv(int64_t M, int64_t N, int64_t K, const float* x, int64_t ldx, const GemmOperand& B, float* y,
                  int64_t ldy, const float* bias) {
  switch (B.kind) {
    case BKind::F32: gemv<BKind::F32>(M, N, K, x, ldx, B, y, ldy, bias); return;
    case BKind::BF16: gemv<BKind::BF16>(M, N, K, x, ldx, B, y, ldy, bias); return;
    case BKind::F16: gemv<BKind::F16>(M, N, K, x, ldx, B, y, ldy, bias); return;
  }
}
};

}  // namespace
}  // namespace transformers::ops::detail

#pragma GCC diagnostic pop
