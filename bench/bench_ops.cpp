// Memory-bound ops (activations, softmax, norms, add) in GB/s of input+output traffic, printed as a
// fraction of the triad bandwidth measured in the same run. Run: build/bench/bench_ops
#include <benchmark/benchmark.h>

#include <functional>

#include "bench_ops_peaks.hpp"
#include "transformers/ops/elementwise.hpp"
#include "transformers/ops/norm.hpp"
#include "transformers/ops/random.hpp"
#include "transformers/ops/softmax.hpp"

namespace ops = transformers::ops;
using transformers::DType;
using transformers::Tensor;

namespace {

void run(benchmark::State& st, DType dt, const std::function<Tensor(const Tensor&)>& f) {
  ops::Generator g(0);
  const Tensor x = ops::randn({512, 4096}, g).to(dt);  // 8 MiB in float32: beyond L2
  const double t0 = benchpeaks::now_s();
  for (auto _ : st) benchmark::DoNotOptimize(f(x));
  const double secs = benchpeaks::now_s() - t0;
  const double bytes = 2.0 * double(x.nbytes()) * double(st.iterations());
  st.counters["GB/s"] = bytes / secs / 1e9;
  st.counters["of_bw"] = bytes / secs / 1e9 / benchpeaks::peaks().triad_gbs;
}

}  // namespace

BENCHMARK_CAPTURE(run, silu_f32, DType::Float32, [](const Tensor& x) { return ops::silu(x); })->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(run, gelu_f32, DType::Float32, [](const Tensor& x) { return ops::gelu(x); })->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(run, gelu_new_bf16, DType::BFloat16, [](const Tensor& x) { return ops::gelu_new(x); })->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(run, gelu_new_f32, DType::Float32, [](const Tensor& x) { return ops::gelu_new(x); })->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(run, mul1_bf16, DType::BFloat16, [](const Tensor& x) { return ops::mul(x, 1.0); })->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(run, add_f32, DType::Float32, [](const Tensor& x) { return ops::add(x, x); })->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(run, softmax_f32, DType::Float32, [](const Tensor& x) { return ops::softmax(x, -1); })->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(run, layer_norm_f32, DType::Float32, [](const Tensor& x) { return ops::layer_norm(x, Tensor(), Tensor(), 1e-5); })->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(run, rms_norm_bf16, DType::BFloat16, [](const Tensor& x) { return ops::rms_norm(x, Tensor(), 1e-6); })->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
  transformers::set_num_threads(2);
  benchpeaks::peaks();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
