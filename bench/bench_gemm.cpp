// float32 GEMM (M=N=K=1024) and decode-shaped linear (M=1, K=N=4096, float32 and bfloat16 weights),
// each printed as a fraction of the limit measured in the same run: FMA peak for the compute-bound
// GEMM, triad memory bandwidth for the weight-streaming decode GEMV.
// BM_sgemm/<impl> and BM_sgemv/<impl> put our own engine (src/ops/cpu/sgemm*) next to OpenBLAS on
// the same buffers, shape by shape (impl 0 = OpenBLAS, 1 = ours), for the model shapes of issue 10.
// Run: TRANSFORMERS_NUM_THREADS=2 build/bench/bench_gemm
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "bench_report.hpp"
#include "ops/cpu/sgemm.hpp"
#include "transformers/ops/int8.hpp"
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

// The weight on read-only memory, as a mapped checkpoint's: its packed copy is cached (float32 Linear
// weights; bf16 weights at the avx512bf16 level, vdpbf16ps), so the timed calls run on the packed
// weight as a model's forward does. BM_linear_mapped/bf16 with TRANSFORMERS_BF16_DOT=0: the
// widening path on the same weight (issue 27's A/B).
void BM_linear_mapped(benchmark::State& st, DType wdt) {
  const int64_t M = st.range(0), K = st.range(1), N = st.range(2);
  ops::Generator g(0);
  const Tensor x = ops::randn({M, K}, g).to(wdt), w0 = ops::randn({N, K}, g).to(wdt);
  const auto keep = std::make_shared<Tensor>(w0);
  const Tensor w = Tensor::from_blob(w0.mutable_data_ptr(), {N, K}, wdt, keep, /*read_only=*/true);
  benchmark::DoNotOptimize(ops::linear(x, w, Tensor()));  // packs (once) outside the timing
  const double t0 = benchpeaks::now_s();
  for (auto _ : st) benchmark::DoNotOptimize(ops::linear(x, w, Tensor()));
  report(st, t0, 2.0 * double(M) * double(N) * double(K), double(N) * double(K) * double(transformers::dtype_size(wdt)));
}

// The int8 compute type (docs/int8.md): a float32 Linear weight with an int8 copy, so each call
// quantizes the activations per row and runs the int8 GEMM (src/ops/cpu/int8_gemm*); the BERT-base
// shapes. FLOPs count 2 * M * N * K as for float32.
void BM_linear_int8(benchmark::State& st) {
  const int64_t M = st.range(0), K = st.range(1), N = st.range(2);
  ops::Generator g(0);
  const Tensor x = ops::randn({M, K}, g), w = ops::randn({N, K}, g);
  if (!ops::quantize_weight_int8(w)) {
    st.SkipWithError("int8 quantization refused");
    return;
  }
  const double t0 = benchpeaks::now_s();
  for (auto _ : st) benchmark::DoNotOptimize(ops::linear(x, w, Tensor()));
  report(st, t0, 2.0 * double(M) * double(N) * double(K), double(N) * double(K));
}

void BM_conv1d(benchmark::State& st, DType wdt) {
  const int64_t M = st.range(0), K = st.range(1), N = st.range(2);
  ops::Generator g(0);
  const Tensor x = ops::randn({M, K}, g).to(wdt), w = ops::randn({K, N}, g).to(wdt);
  const double t0 = benchpeaks::now_s();
  for (auto _ : st) benchmark::DoNotOptimize(ops::addmm_conv1d(x, w, Tensor()));
  report(st, t0, 2.0 * double(M) * double(N) * double(K), double(N) * double(K) * double(transformers::dtype_size(wdt)));
}

// C[M,N] = A[M,K] . W[N,K]^T (the nn.Linear layout), or . W[K,N] when range(3) == 1.
void BM_sgemm(benchmark::State& st) {
  const int impl = int(st.range(4));
  const int64_t M = st.range(0), K = st.range(1), N = st.range(2);
  const bool kn = st.range(3) == 1;
  ops::Generator g(0);
  const Tensor a = ops::randn({M, K}, g), w = kn ? ops::randn({K, N}, g) : ops::randn({N, K}, g);
  Tensor c = Tensor::empty({M, N});
  const float* pa = a.data<float>();
  const float* pw = w.data<float>();
  float* pc = c.data<float>();
  namespace d = transformers::ops::detail;
  const d::GemmOperand A{pa, K, 1, d::BKind::F32};
  const d::GemmOperand B = kn ? d::GemmOperand{pw, N, 1, d::BKind::F32} : d::GemmOperand{pw, 1, K, d::BKind::F32};
  if (impl == 1 && !d::own_sgemm_available()) {
    st.SkipWithError("no own kernel at this level");
    return;
  }
  const double t0 = benchpeaks::now_s();
  for (auto _ : st) {
    if (impl == 0)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, kn ? CblasNoTrans : CblasTrans, int(M), int(N), int(K), 1.0f, pa, int(K),
                  pw, kn ? int(N) : int(K), 0.0f, pc, int(N));
    else
      d::sgemm(M, N, K, A, B, pc, N, nullptr, false);
    benchmark::DoNotOptimize(pc);
    benchmark::ClobberMemory();
  }
  report(st, t0, 2.0 * double(M) * double(N) * double(K), 0);
}

// y[N] = W . x for one row (decode): W [N,K] (Linear) or [K,N] when range(2) == 1 (GPT-2 Conv1D).
// Each iteration uses the next of several weight copies (>= 192 MiB together, beyond the 48 MiB
// L3), as decode does: every layer's weight comes from DRAM once per token.
void BM_sgemv(benchmark::State& st) {
  const int impl = int(st.range(3));
  const int64_t K = st.range(0), N = st.range(1);
  const bool kn = st.range(2) == 1;
  ops::Generator g(0);
  const int64_t copies = std::max<int64_t>(1, ((int64_t(192) << 20) + 4 * N * K - 1) / (4 * N * K));
  const Tensor x = ops::randn({K}, g), w = kn ? ops::randn({copies, K, N}, g) : ops::randn({copies, N, K}, g);
  Tensor y = Tensor::empty({N});
  const float* px = x.data<float>();
  float* py = y.data<float>();
  namespace d = transformers::ops::detail;
  if (impl == 1 && !d::own_sgemm_available()) {
    st.SkipWithError("no own kernel at this level");
    return;
  }
  int64_t next = 0;
  const double t0 = benchpeaks::now_s();
  for (auto _ : st) {
    const float* pw = w.data<float>() + (next++ % copies) * N * K;
    const d::GemmOperand B = kn ? d::GemmOperand{pw, N, 1, d::BKind::F32} : d::GemmOperand{pw, 1, K, d::BKind::F32};
    if (impl == 0) {
      if (kn) cblas_sgemv(CblasRowMajor, CblasTrans, int(K), int(N), 1.0f, pw, int(N), px, 1, 0.0f, py, 1);
      else cblas_sgemv(CblasRowMajor, CblasNoTrans, int(N), int(K), 1.0f, pw, int(K), px, 1, 0.0f, py, 1);
    } else {
      d::sgemv(1, N, K, px, K, B, py, N, nullptr);
    }
    benchmark::DoNotOptimize(py);
    benchmark::ClobberMemory();
  }
  report(st, t0, 2.0 * double(N) * double(K), 4.0 * double(N) * double(K));
}

// {M, K, N, layout}: BERT-base seq 128, GPT-2 prefill 512 (incl. lm head), squares.
void gemm_shapes(benchmark::internal::Benchmark* b) {
  for (auto s : std::vector<std::vector<int64_t>>{{128, 768, 768, 0},
                                                   {128, 768, 3072, 0},
                                                   {128, 3072, 768, 0},
                                                   {512, 768, 2304, 1},
                                                   {512, 768, 768, 1},
                                                   {512, 768, 3072, 1},
                                                   {512, 3072, 768, 1},
                                                   {512, 768, 50257, 0},
                                                   {1024, 1024, 1024, 0},
                                                   {2048, 2048, 2048, 0}})
    for (int64_t impl : {0, 1}) {  // OpenBLAS then ours, back to back
      auto a = s;
      a.push_back(impl);
      b->Args(a);
    }
}
// {K, N, layout}: GPT-2 (Conv1D [K, N] and Linear), lm head, a Llama-1B MLP projection.
void gemv_shapes(benchmark::internal::Benchmark* b) {
  for (auto s : std::vector<std::vector<int64_t>>{{768, 2304, 1}, {768, 3072, 1}, {768, 2304, 0}, {768, 3072, 0},
                                                   {768, 50257, 0}, {2048, 8192, 0}, {8192, 2048, 0}})
    for (int64_t impl : {0, 1}) {
      auto a = s;
      a.push_back(impl);
      b->Args(a);
    }
}

}  // namespace

// Names: BM_sgemm/M/K/N/layout/impl and BM_sgemv/K/N/layout/impl (impl 0 = OpenBLAS, 1 = ours).
BENCHMARK(BM_sgemm)->Apply(gemm_shapes)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_sgemv)->Apply(gemv_shapes)->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK(BM_matmul_f32)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_linear, f32, DType::Float32)->Args({1, 4096, 4096})->Args({128, 4096, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_linear, bf16, DType::BFloat16)->Args({1, 4096, 4096})->Args({4, 4096, 4096})->Args({128, 4096, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_linear_mapped, f32, DType::Float32)->Args({1, 768, 2304})->Args({128, 768, 3072})->Args({128, 3072, 768})->Args({512, 2048, 2048})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_linear_mapped, bf16, DType::BFloat16)->Args({1, 768, 2304})->Args({128, 768, 3072})->Args({128, 3072, 768})->Args({512, 2048, 2048})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_linear_int8)->Args({128, 768, 768})->Args({128, 768, 3072})->Args({128, 3072, 768})->Args({1, 768, 2304})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_linear, f16, DType::Float16)->Args({1, 4096, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_CAPTURE(BM_conv1d, bf16, DType::BFloat16)->Args({1, 4096, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_conv1d, f32, DType::Float32)->Args({1, 4096, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
  // 2 threads (issue 10's setting) unless TRANSFORMERS_NUM_THREADS says otherwise: one thread makes
  // the CPU-time column a cycle proxy on a loaded machine.
  const char* env = std::getenv("TRANSFORMERS_NUM_THREADS");
  transformers::set_num_threads(env && std::atoi(env) > 0 ? std::atoi(env) : 2);
  benchpeaks::peaks();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
