// float32 GEMM (M=N=K=1024) and decode-shaped linear (M=1, K=N=4096, float32 and bfloat16 weights),
// each printed as a fraction of the limit measured in the same run: FMA peak for the compute-bound
// GEMM, triad memory bandwidth for the weight-streaming decode GEMV.
// Run: TRANSFORMERS_NUM_THREADS=2 build/bench/bench_gemm
#include <benchmark/benchmark.h>

#include "bench_report.hpp"
#include "transformers/ops/matmul.hpp"
#include "transformers/ops/random.hpp"

using benchpeaks::report;

namespace ops = transformers::ops;
using transformers::DType;
using transformers::Tensor;

namespace {

void BM_matmul_f32(benchmark::State& st) {
  const int64_t n = st.range(0);
  ops::Generator g(0);
  const Tensor a = ops::randn({n, n}, g), b = ops::randn({n, n}, g);
  const double t0 = benchpeaks::now_s();
  for (auto _ : st) benchmark::DoNotOptimize(ops::matmul(a, b));
  const double flops = 2.0 * double(n) * double(n) * double(n);
  report(st, t0, flops, 0);
}

void BM_linear(benchmark::State& st, DType wdt) {
  const int64_t M = st.range(0), K = st.range(1), N = st.range(2);
  ops::Generator g(0);
  const Tensor x = ops::randn({M, K}, g).to(wdt), w = ops::randn({N, K}, g).to(wdt);
  const double t0 = benchpeaks::now_s();
  for (auto _ : st) benchmark::DoNotOptimize(ops::linear(x, w, Tensor()));
  const double flops = 2.0 * double(M) * double(N) * double(K);
  const double bytes = double(N) * double(K) * double(transformers::dtype_size(wdt));
  report(st, t0, flops, bytes);
}

void BM_conv1d(benchmark::State& st, DType wdt) {
  const int64_t M = st.range(0), K = st.range(1), N = st.range(2);
  ops::Generator g(0);
  const Tensor x = ops::randn({M, K}, g).to(wdt), w = ops::randn({K, N}, g).to(wdt);
  const double t0 = benchpeaks::now_s();
  for (auto _ : st) benchmark::DoNotOptimize(ops::addmm_conv1d(x, w, Tensor()));
  report(st, t0, 2.0 * double(M) * double(N) * double(K), double(N) * double(K) * double(transformers::dtype_size(wdt)));
}

}  // namespace

BENCHMARK(BM_matmul_f32)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_linear, f32, DType::Float32)->Args({1, 4096, 4096})->Args({128, 4096, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_linear, bf16, DType::BFloat16)->Args({1, 4096, 4096})->Args({4, 4096, 4096})->Args({128, 4096, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_linear, f16, DType::Float16)->Args({1, 4096, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_CAPTURE(BM_conv1d, bf16, DType::BFloat16)->Args({1, 4096, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_conv1d, f32, DType::Float32)->Args({1, 4096, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
  transformers::set_num_threads(2);
  benchpeaks::peaks();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
