#pragma once
// Our float32 GEMM (sgemm.hpp), written once over the level's vector Vec<L> (core/isa/vec.hpp) and
// built by the level files (isa_kernels_avx2.cpp, isa_kernels_avx512.cpp); the scalar level has
// none (OpenBLAS). Goto/BLIS structure: A is packed once per call into MR-row strips
// ([strip][k][MR], shared by the threads); the threads then claim column chunks of C. A chunk packs
// its KC x NC block of B ([strip][k][NR], in L2, 16-bit B widened here) and runs the micro-kernel
// over every MR strip of A (a strip, MR x KC floats, stays in L1 while the B strips of the chunk
// stream from L2). The micro-kernel holds an MR x NR tile of C in MR * NV accumulators and does,
// per k, NV vector loads of B, MR broadcasts of A and MR * NV FMAs. Edges: packed panels are
// zero-padded to MR / NR, and the write-back is masked.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <thread>

#include "core/isa/vec.hpp"
#include "ops/cpu/ab_switch.hpp"
#include "ops/cpu/gemm_task_claim.hpp"
#include "ops/cpu/sgemm.hpp"
#include "ops/cpu/vec_math_impl.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/core/parallel_tasks.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace transformers::ops::detail {
namespace {

// Blocking of each level's GEMM.
template <KernelLevel L>
struct GemmBlocking;
// AVX2: 6 x 16 micro-kernel (12 ymm accumulators + 2 B vectors + 1 broadcast of the 16 ymm
// registers); KC = 256: B strip 16 KiB, A strip 6 KiB, both in L1.
template <>
struct GemmBlocking<KernelLevel::Avx2> {
  static constexpr int kMR = 6, kNV = 2;
  static constexpr int64_t kKC = 256;
  static constexpr bool kPrefetchTiles = false;
};
// AVX-512: 8 x 48: 24 accumulators + 3 B vectors of the 32 zmm registers; per k 3 vector loads and
// 8 broadcasts feed 24 FMAs. Chosen over 14 x 32, 12 x 32 and 6 x 64 by best-of-40 timings on this
// machine (single thread: 8 x 48 ~119 GFLOP/s on 128x768x768 vs 106 for 14 x 32), and because 8
// rows and 48 columns divide the model shapes (M = 128 / 512 tokens, N = 768 / 2304 / 3072) so no
// padded tile is computed. KC = 192: the A strip (6 KiB) and one B strip (36 KiB) fit the 48 KiB
// L1. The micro-kernel prefetches its C rows and the B panel a few k ahead.
template <>
struct GemmBlocking<KernelLevel::Avx512> {
  static constexpr int kMR = 8, kNV = 3;
  static constexpr int64_t kKC = 192;
  static constexpr bool kPrefetchTiles = true;
};

// kWidth consecutive elements (the first n, rest zero) of a float32 / bf16 / f16 array, as float32.
template <KernelLevel L, BKind kB>
inline typename isa::Vec<L>::T load_as_f32(const void* base, int64_t idx, int64_t n) {
  using V = isa::Vec<L>;
  if constexpr (kB == BKind::F32) return V::load_n(static_cast<const float*>(base) + idx, n);
  else if constexpr (kB == BKind::BF16) return V::load_bf16_n(static_cast<const uint16_t*>(base) + idx, n);
  else return V::load_f16_n(static_cast<const uint16_t*>(base) + idx, n);
}

template <KernelLevel L>
struct Sgemm {
using V = isa::Vec<L>;
using VT = typename V::T;
static constexpr int kW = V::kWidth;
static constexpr int kMR = GemmBlocking<L>::kMR;
static constexpr int kNV = GemmBlocking<L>::kNV;
static constexpr int kNR = kW * kNV;
static constexpr int64_t kKC = GemmBlocking<L>::kKC;
// NC = 192 columns per task: the chunk's packed B stays in L2, and several tasks per thread let a
// thread that lost its core to another process be helped by the other (the shared packed A is only
// re-read from L2/L3 per chunk, negligible next to the chunk's FMAs).
static constexpr int64_t kChunkStrips = 192 / kNR;
static constexpr int64_t kApackFloats = int64_t(1) << 20;  // packed A per M block (4 MiB, L3)
static constexpr int64_t kSerialMacs = int64_t(1) << 20;   // below: one thread (the pool's wake-up costs more)

// Packs `rows` (<= kW) source rows that are contiguous along k (row i at src + i*ld) for k in
// [k0, k0+kc) into dst[k * R + i] for i < store_n (rows past `rows` are zeros).
template <BKind kB>
static void pack_transposed(const void* src, int64_t ld, int rows, int64_t k0, int64_t kc, float* dst, int R, int store_n) {
  VT r[kW];
  for (int64_t kb = 0; kb < kc; kb += kW) {
    const int64_t kk = std::min<int64_t>(kW, kc - kb);
    for (int i = 0; i < kW; ++i) r[i] = i < rows ? load_as_f32<L, kB>(src, i * ld + k0 + kb, kk) : V::zero();
    V::transpose(r);
    for (int c = 0; c < kk; ++c) V::store_n(dst + (kb + c) * R, r[c], store_n);
  }
}

// Packs a source contiguous along the packed dimension (element (k, j) at src + k*ld + j, j < cols)
// into dst[k * R + j], zero-padding j in [cols, R).
template <BKind kB>
static void pack_copy(const void* src, int64_t ld, int64_t cols, int64_t k0, int64_t kc, float* dst, int R) {
  for (int64_t k = 0; k < kc; ++k)
    for (int j = 0; j < R; j += kW)
      V::store_n(dst + k * R + j, load_as_f32<L, kB>(src, (k0 + k) * ld + j, std::min<int64_t>(cols, R) - j), R - j);
}

// A strip: rows [m0, m0+mr) of A, all of K, into dst[k * kMR + i].
static void pack_a_strip(const GemmOperand& A, int64_t m0, int mr, int64_t K, float* dst) {
  const float* a = static_cast<const float*>(A.p);
  if (A.cs == 1)
    pack_transposed<BKind::F32>(a + m0 * A.rs, A.rs, mr, 0, K, dst, kMR, kMR);
  else
    pack_copy<BKind::F32>(a + m0, A.cs, mr, 0, K, dst, kMR);
}

// B strip: columns [n0, n0+nr) of B, k in [k0, k0+kc), into dst[k * kNR + j].
template <BKind kB>
static void pack_b_strip(const GemmOperand& B, int64_t n0, int nr, int64_t k0, int64_t kc, float* dst) {
  const int64_t es = kB == BKind::F32 ? 4 : 2;
  const char* b = static_cast<const char*>(B.p);
  if (B.cs == 1) {
    pack_copy<kB>(b + n0 * es, B.rs, nr, k0, kc, dst, kNR);
  } else {  // B.rs == 1: column n is contiguous along k (the nn.Linear weight row)
    for (int g = 0; g < kNV; ++g)
      pack_transposed<kB>(b + (n0 + kW * g) * B.cs * es, B.cs, std::clamp(nr - kW * g, 0, kW), k0, kc, dst + kW * g, kNR,
                          kW);
  }
}

// The epilogue of one C tile (sgemm.hpp's GemmEpilogue): residual points at the tile's origin.
struct TileEpilogue {
  bool gelu = false;
  const float* residual = nullptr;
  int64_t ldr = 0;
};
static VT finish(VT r, const TileEpilogue* ep, int i, int v, int n) {
  if (!ep) return r;
  if (ep->gelu) r = VecMath<L>::gelu_erf(r);
  if (ep->residual) r = V::add(r, n == kW ? V::load(ep->residual + i * ep->ldr + kW * v)
                                          : V::load_n(ep->residual + i * ep->ldr + kW * v, n));
  return r;
}

// C tile [mr x nr] (+)= packed A strip [kc][kMR] . packed B strip [kc][kNR] (+ bias), then the
// epilogue `ep` (nullptr: none; given only with the last k block).
static void micro_kernel(int64_t kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc, int mr,
                         int nr, const float* bias, bool add_c, const TileEpilogue* ep = nullptr) {
  VT acc[kMR][kNV];
#pragma GCC unroll 16
  for (int i = 0; i < kMR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) acc[i][v] = V::zero();
  if constexpr (GemmBlocking<L>::kPrefetchTiles)
    for (int i = 0; i < mr; ++i) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k) {
    VT bv[kNV];
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) bv[v] = V::load_aligned(b + k * kNR + kW * v);
    if constexpr (GemmBlocking<L>::kPrefetchTiles) _mm_prefetch(reinterpret_cast<const char*>(b + (k + 8) * kNR), _MM_HINT_T0);
#pragma GCC unroll 16
    for (int i = 0; i < kMR; ++i) {
      const VT av = V::broadcast(a + k * kMR + i);
#pragma GCC unroll 4
      for (int v = 0; v < kNV; ++v) acc[i][v] = V::fma(av, bv[v], acc[i][v]);
    }
  }
  if (mr == kMR && nr == kNR) {
#pragma GCC unroll 16
    for (int i = 0; i < kMR; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < kNV; ++v) {
        VT r = acc[i][v];
        if (bias) r = V::add(r, V::load(bias + kW * v));
        if (add_c) r = V::add(r, V::load(c + i * ldc + kW * v));
        V::store(c + i * ldc + kW * v, finish(r, ep, i, v, kW));
      }
    return;
  }
#pragma GCC unroll 16
  for (int i = 0; i < kMR; ++i) {
    if (i >= mr) break;
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) {
      const int n = nr - kW * v;
      if (n <= 0) break;
      VT r = acc[i][v];
      if (bias) r = V::add(r, V::load_n(bias + kW * v, n));
      if (add_c) r = V::add(r, V::load_n(c + i * ldc + kW * v, n));
      V::store_n(c + i * ldc + kW * v, finish(r, ep, i, v, std::min(n, kW)), n);
    }
  }
}

// 64-byte aligned scratch that grows on demand and lives as long as its thread.
struct Scratch {
  float* p = nullptr;
  size_t n = 0;
  ~Scratch() { std::free(p); }
  float* get(size_t want) {
    if (want > n) {
      std::free(p);
      p = nullptr;
      n = 0;
      const size_t bytes = (want * sizeof(float) + 63) / 64 * 64;
      p = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!p) throw std::bad_alloc();
      n = want;
    }
    return p;
  }
};
static inline thread_local Scratch tl_apack, tl_bpack;

// The whole of B packed once, for reuse across calls (a model's weight): strip j of kNR columns,
// all of K, at dst + j * K * kNR as [k][kNR] (zero-padded past N). Block k0 of strip j is then
// the contiguous [kc][kNR] panel the micro-kernel reads, so gemm() can skip its per-call pack.
static int64_t prepacked_b_floats(int64_t K, int64_t N) { return (N + kNR - 1) / kNR * K * kNR; }

template <BKind kB>
static void prepack_b(int64_t K, int64_t N, const GemmOperand& B, float* dst) {
  const int64_t nstrips = (N + kNR - 1) / kNR;
  parallel_for(0, nstrips, 4, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j)
      for (int64_t k0 = 0; k0 < K; k0 += kKC)
        pack_b_strip<kB>(B, j * kNR, int(std::min<int64_t>(kNR, N - j * kNR)), k0, std::min(kKC, K - k0),
                         dst + j * K * kNR + k0 * kNR);
  });
}

// With a prepacked B (a model's weight, far larger than the caches) the micro-kernel would read
// each block's panels straight from L3 / DRAM on its first pass, stalling on latency. The next
// k block's panels (nj runs of kc * kNR floats, one per strip: the task's next block, or during
// its last block the first block of the task the worker claimed next) are therefore prefetched
// into L2 while the current block is multiplied, a few lines before each micro-kernel call so the
// fills spread over the block.
struct PanelPrefetch {
  const char* base = nullptr;
  int64_t run_stride = 0, lines_per_run = 0, next = 0, total = 0, per_call = 0;
  void start(const float* first, int64_t stride_floats, int64_t runs, int64_t run_floats, int64_t calls) {
    base = reinterpret_cast<const char*>(first);
    run_stride = stride_floats * int64_t(sizeof(float));
    lines_per_run = (run_floats * int64_t(sizeof(float)) + 63) / 64;
    next = 0;
    total = runs * lines_per_run;
    per_call = (total + calls - 1) / std::max<int64_t>(calls, 1);
  }
  void stop() { total = next = 0; }
  void step() {
    for (const int64_t e = std::min(total, next + per_call); next < e; ++next)
      _mm_prefetch(base + next / lines_per_run * run_stride + next % lines_per_run * 64, _MM_HINT_T1);
  }
};

// TRANSFORMERS_SGEMM_PREFETCH=0 turns the panel prefetch off (an A/B switch for benchmarks).
static bool panel_prefetch_enabled() {
  static const bool on = !ab_switch_off("TRANSFORMERS_SGEMM_PREFETCH");
  return on;
}

// bpre: B as prepack_b left it (B itself is then not read), or nullptr to pack per call.
template <BKind kB>
static void gemm(int64_t M, int64_t N, int64_t K, const GemmOperand& A, const GemmOperand& B, float* C, int64_t ldc,
          const float* bias, bool accumulate, const float* bpre = nullptr, const GemmEpilogue* epi = nullptr) {
  const bool has_epi = epi && (epi->gelu || epi->residual);
  const int threads = available_threads();  // 1 inside a parallel_tasks task (embed's batches)
  const bool serial = M * N * K < kSerialMacs || threads == 1;
  const int64_t T = serial ? 1 : threads;
  const int64_t mblock = std::max<int64_t>(kMR, kApackFloats / K / kMR * kMR);
  const int64_t nstrips_n = (N + kNR - 1) / kNR;
  // Column chunks: about kChunkStrips strips each, their count a multiple of the thread count.
  int64_t nch = std::max<int64_t>(1, (nstrips_n + kChunkStrips / 2) / kChunkStrips);
  nch = std::min(nstrips_n, (nch + T - 1) / T * T);
  const int64_t chunk_strips = (nstrips_n + nch - 1) / nch;
  nch = (nstrips_n + chunk_strips - 1) / chunk_strips;
  float* apack = tl_apack.get(size_t(std::min(mblock, (M + kMR - 1) / kMR * kMR) * K));
  // One pool dispatch per M block: the tasks pack the A strips they reach first, claimed through a
  // per-strip state (0 free, 1 being packed, 2 ready), instead of a packing pass that would wake
  // the threads once more (each wake-up can cost a scheduler slice on a loaded machine).
  const int64_t max_strips = (std::min(mblock, M) + kMR - 1) / kMR;
  std::unique_ptr<std::atomic<int>[]> state(new std::atomic<int>[size_t(max_strips)]);
  for (int64_t mb0 = 0; mb0 < M; mb0 += mblock) {
    const int64_t mb = std::min(mblock, M - mb0);
    const int64_t nstrips_m = (mb + kMR - 1) / kMR;
    for (int64_t s = 0; s < nstrips_m; ++s) state[size_t(s)].store(0, std::memory_order_relaxed);
    auto strip_ready = [&](int64_t s) {
      std::atomic<int>& st = state[size_t(s)];
      if (st.load(std::memory_order_acquire) == 2) return;
      int expected = 0;
      if (st.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
        pack_a_strip(A, mb0 + s * kMR, int(std::min<int64_t>(kMR, mb - s * kMR)), K, apack + s * kMR * K);
        st.store(2, std::memory_order_release);
        return;
      }
      while (st.load(std::memory_order_acquire) != 2) std::this_thread::yield();
    };
    // Too few column chunks for the threads: also split the rows.
    const int64_t msplit = nch >= T ? 1 : std::min(nstrips_m, (T + nch - 1) / nch);
    // Tasks (column chunk x row split) are claimed from a shared counter by one worker per thread.
    // A worker claims its next task when it starts the last k block of the current one (once every
    // thread holds a task: gemm_task_claim.hpp), so that
    // with a prepacked B the next task's first panels are prefetched during that block too (the
    // pool's own chunking would leave the next task unknown until this one ends).
    const int64_t ntasks = nch * msplit;
    std::atomic<int64_t> next_task{0};
    const bool prefetch = bpre && panel_prefetch_enabled();
    auto worker = [&](int64_t, int64_t) {
      float* bpack = bpre ? nullptr : tl_bpack.get(size_t(chunk_strips * kNR * kKC));
      // columns [n0, n1) and row strips [s_lo, s_hi) of task t
      auto geometry = [&](int64_t t, int64_t& n0, int64_t& n1, int64_t& s_lo, int64_t& s_hi) {
        const int64_t ch = t % nch, ms = t / nch;
        s_lo = nstrips_m * ms / msplit;
        s_hi = nstrips_m * (ms + 1) / msplit;
        n0 = ch * chunk_strips * kNR;
        n1 = std::min(N, n0 + chunk_strips * kNR);
      };
      PanelPrefetch pf;
      for (int64_t t = next_task.fetch_add(1, std::memory_order_relaxed); t < ntasks;) {
        int64_t n0, n1, s_lo, s_hi;
        geometry(t, n0, n1, s_lo, s_hi);
        const int64_t nj = (n1 - n0 + kNR - 1) / kNR;
        int64_t t_next = ntasks;
        bool claimed_next = false;
        for (int64_t k0 = 0; k0 < K; k0 += kKC) {
          const int64_t kc = std::min(kKC, K - k0);
          const bool last = k0 + kc >= K;
          if (last && may_claim_ahead(next_task.load(std::memory_order_relaxed), T)) {
            t_next = next_task.fetch_add(1, std::memory_order_relaxed);
            claimed_next = true;
          }
          if (!bpre)
            for (int64_t j = 0; j < nj; ++j)
              pack_b_strip<kB>(B, n0 + j * kNR, int(std::min<int64_t>(kNR, n1 - n0 - j * kNR)), k0, kc,
                               bpack + j * kc * kNR);
          // panel of strip j for this k block: per-call pack, or the prepacked whole of B
          auto bpanel = [&](int64_t j) {
            return bpre ? bpre + (n0 / kNR + j) * K * kNR + k0 * kNR : bpack + j * kc * kNR;
          };
          const int64_t calls = (s_hi - s_lo) * nj;
          if (prefetch && !last) {  // this task's next k block
            pf.start(bpanel(0) + kc * kNR, K * kNR, nj, std::min(kKC, K - k0 - kc) * kNR, calls);
          } else if (prefetch && t_next < ntasks) {  // the next task's first k block
            int64_t m0_, m1_, l_, h_;
            geometry(t_next, m0_, m1_, l_, h_);
            pf.start(bpre + m0_ / kNR * K * kNR, K * kNR, (m1_ - m0_ + kNR - 1) / kNR, std::min(kKC, K) * kNR, calls);
          } else {
            pf.stop();
          }
          const bool first = k0 == 0;
          for (int64_t s = s_lo; s < s_hi; ++s) {
            if (first) strip_ready(s);
            const int64_t m0 = mb0 + s * kMR;
            const int mr = int(std::min<int64_t>(kMR, M - m0));
            const float* a = apack + s * kMR * K + k0 * kMR;
            for (int64_t j = 0; j < nj; ++j) {
              const int64_t c0 = n0 + j * kNR;
              pf.step();
              TileEpilogue te;
              if (has_epi && last)
                te = {epi->gelu, epi->residual ? epi->residual + m0 * epi->ldr + c0 : nullptr, epi->ldr};
              micro_kernel(kc, a, bpanel(j), C + m0 * ldc + c0, ldc, mr, int(std::min<int64_t>(kNR, n1 - c0)),
                           first && bias ? bias + c0 : nullptr, !first || accumulate, has_epi && last ? &te : nullptr);
            }
          }
        }
        t = claimed_next ? t_next : next_task.fetch_add(1, std::memory_order_relaxed);
      }
    };
    if (serial) worker(0, 1);
    else parallel_for(0, T, 1, worker);
  }
}


// The entry points of sgemm.hpp at this level: the template instance for the kind of B.
static void sgemm(int64_t M, int64_t N, int64_t K, const GemmOperand& A, const GemmOperand& B, float* C, int64_t ldc,
                  const float* bias, bool accumulate, const GemmEpilogue* epi) {
  switch (B.kind) {
    case BKind::F32: gemm<BKind::F32>(M, N, K, A, B, C, ldc, bias, accumulate, nullptr, epi); return;
    case BKind::BF16: gemm<BKind::BF16>(M, N, K, A, B, C, ldc, bias, accumulate, nullptr, epi); return;
    case BKind::F16: gemm<BKind::F16>(M, N, K, A, B, C, ldc, bias, accumulate, nullptr, epi); return;
  }
}

static void sgemm_prepack_b(int64_t K, int64_t N, const GemmOperand& B, float* dst) {
  switch (B.kind) {
    case BKind::F32: prepack_b<BKind::F32>(K, N, B, dst); return;
    case BKind::BF16: prepack_b<BKind::BF16>(K, N, B, dst); return;
    case BKind::F16: prepack_b<BKind::F16>(K, N, B, dst); return;
  }
}

static void sgemm_prepacked(int64_t M, int64_t N, int64_t K, const GemmOperand& A, const float* bpre, float* C,
                            int64_t ldc, const float* bias, bool accumulate, const GemmEpilogue* epi) {
  gemm<BKind::F32>(M, N, K, A, GemmOperand{bpre, 1, 1, BKind::F32}, C, ldc, bias, accumulate, bpre, epi);
}
};

}  // namespace
}  // namespace transformers::ops::detail

#pragma GCC diagnostic pop
