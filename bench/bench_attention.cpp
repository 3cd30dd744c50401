// Fused scaled_dot_product_attention throughput: causal prefill (B=1, H=32, L=512, D=64) against
// the measured FMA peak, and one decode step (Lq=1 over a 512-token cache) against the measured
// memory bandwidth (K and V are read once). Run: build/bench/bench_attention
#include <benchmark/benchmark.h>

#include "bench_report.hpp"
#include "transformers/ops/attention.hpp"
#include "transformers/ops/random.hpp"

using benchpeaks::report;

namespace ops = transformers::ops;
using transformers::DType;
using transformers::Tensor;

namespace {

void BM_sdpa(benchmark::State& st, DType dt, bool causal) {
  const int64_t B = 1, H = 32, Lq = st.range(0), Lk = st.range(1), D = 64;
  ops::Generator g(0);
  const Tensor q = ops::randn({B, H, Lq, D}, g).to(dt), k = ops::randn({B, H, Lk, D}, g).to(dt),
               v = ops::randn({B, H, Lk, D}, g).to(dt);
  const double t0 = benchpeaks::now_s();
  for (auto _ : st) benchmark::DoNotOptimize(ops::scaled_dot_product_attention(q, k, v, {.is_causal = causal}));
  // QK^T and PV: 2 * 2 * Lq * Lk * D per head; causal prefill does about half of it.
  double flops = 4.0 * double(B * H) * double(Lq) * double(Lk) * double(D);
  if (causal && Lq == Lk) flops *= 0.5 * double(Lq + 1) / double(Lq);
  const double kv_bytes = 2.0 * double(B * H * Lk * D) * double(transformers::dtype_size(dt));
  report(st, t0, flops, kv_bytes);
}

}  // namespace

BENCHMARK_CAPTURE(BM_sdpa, f32_prefill_causal, DType::Float32, true)->Args({512, 512})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_sdpa, bf16_prefill_causal, DType::BFloat16, true)->Args({512, 512})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_sdpa, f32_decode, DType::Float32, false)->Args({1, 512})->Args({1, 4096})->Unit(benchmark::kMicrosecond)->UseRealTime();

int main(int argc, char** argv) {
  transformers::set_num_threads(2);
  benchpeaks::peaks();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
