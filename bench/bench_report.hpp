#pragma once
// Counters every op benchmark reports: rates from our own clock, and the same rates as fractions
// of the limits bench_ops_peaks.hpp measured in this run.
#include <benchmark/benchmark.h>

#include "bench_ops_peaks.hpp"

namespace benchpeaks {

inline void report(benchmark::State& st, double t0, double flops, double bytes) {
  const double secs = now_s() - t0, it = double(st.iterations());
  const auto& p = peaks();
  st.counters["GFLOP/s"] = flops * it / secs / 1e9;
  st.counters["of_peak"] = flops * it / secs / 1e9 / p.fma_gflops;
  if (bytes > 0) {
    st.counters["GB/s"] = bytes * it / secs / 1e9;
    st.counters["of_bw"] = bytes * it / secs / 1e9 / p.triad_gbs;
  }
}

}  // namespace benchpeaks
