#pragma once
// Measures this machine's limits in the same run as the op benchmarks, so every figure can be
// printed as a fraction of what the hardware does: memory bandwidth by a STREAM-like triad
// (a = b + s*c over arrays far larger than the caches), and the float32 FMA peak by an
// independent-accumulator FMA loop on every thread (AVX-512 or AVX2, picked at run time).
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "transformers/core/cpu_features.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/core/tensor.hpp"

namespace benchpeaks {

struct Peaks {
  double triad_gbs = 0;    // bytes moved per second (2 reads + 1 write, as STREAM counts)
  double fma_gflops = 0;   // float32 FLOP/s (an FMA = 2 FLOP)
};

inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double measure_triad_gbs() {
  const int64_t n = int64_t(1) << 25;  // 3 x 128 MiB
  auto a = transformers::Tensor::zeros({n}), b = transformers::Tensor::ones({n}), c = transformers::Tensor::ones({n});
  float* pa = a.data<float>();
  const float* pb = b.data<float>();
  const float* pc = c.data<float>();
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const double t0 = now_s();
    transformers::parallel_for(0, n, 1 << 16, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) pa[i] = pb[i] + 3.0f * pc[i];
    });
    const double dt = now_s() - t0;
    best = std::max(best, 3.0 * 4.0 * double(n) / dt / 1e9);
  }
  return best;
}

__attribute__((target("avx512f"))) inline double fma_loop_avx512(int64_t iters) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(float(i));
  const __m512 m = _mm512_set1_ps(0.999999f), ad = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, ad);
  float s = 0;
  for (int i = 0; i < 12; ++i) s += _mm512_reduce_add_ps(acc[i]);
  return double(s);
}

__attribute__((target("avx2,fma"))) inline double fma_loop_avx2(int64_t iters) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(float(i));
  const __m256 m = _mm256_set1_ps(0.999999f), ad = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, ad);
  float buf[8];
  float s = 0;
  for (int i = 0; i < 12; ++i) {
    _mm256_storeu_ps(buf, acc[i]);
    for (float f : buf) s += f;
  }
  return double(s);
}

inline double measure_fma_gflops() {
  const auto& f = transformers::cpu_features();
  const bool w512 = f.avx512f;
  if (!f.avx2 || !f.fma) return 0;
  const int64_t iters = 20000000;
  const int threads = transformers::get_num_threads();
  double best = 0;
  volatile double sink = 0;
  for (int rep = 0; rep < 3; ++rep) {
    const double t0 = now_s();
    transformers::parallel_for(0, threads, 1, [&](int64_t t0_, int64_t t1_) {
      for (int64_t t = t0_; t < t1_; ++t) sink = sink + (w512 ? fma_loop_avx512(iters) : fma_loop_avx2(iters));
    });
    const double dt = now_s() - t0;
    best = std::max(best, double(threads) * double(iters) * 12.0 * (w512 ? 16 : 8) * 2.0 / dt / 1e9);
  }
  return best;
}

inline const Peaks& peaks() {
  static const Peaks p = [] {
    Peaks r;
    r.triad_gbs = measure_triad_gbs();
    r.fma_gflops = measure_fma_gflops();
    std::printf("machine: %d threads, cpu features: %s\n", transformers::get_num_threads(),
                transformers::cpu_features_string().c_str());
    std::printf("measured peaks: memory bandwidth (triad) %.1f GB/s, float32 FMA peak %.1f GFLOP/s\n", r.triad_gbs,
                r.fma_gflops);
    return r;
  }();
  return p;
}

}  // namespace benchpeaks
