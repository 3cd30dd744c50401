// Checkpoint I/O benchmark: "loading" a 1 GB safetensors file (open + header validation + a
// zero-copy Tensor for every entry) must cost header parsing, and RSS must not grow by the file
// size until the tensors are touched. The file is created in a temporary folder and removed after.
//   bench_io [--benchmark_filter=...]      (TRANSFORMERS_BENCH_IO_MB=1024 sets the file size)
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "transformers/io/safetensors.hpp"
#include "transformers/io/torch_pickle.hpp"

namespace fs = std::filesystem;
using namespace transformers;

namespace {
fs::path g_dir, g_file, g_bin;

double rss_mb() {
  std::ifstream in("/proc/self/statm");
  long pages_total = 0, pages_rss = 0;
  in >> pages_total >> pages_rss;
  return double(pages_rss) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

void make_files(int64_t mb) {
  g_dir = fs::temp_directory_path() / ("bench_io_" + std::to_string(getpid()));
  fs::create_directories(g_dir);
  g_file = g_dir / "model.safetensors";
  g_bin = g_dir / "pytorch_model.bin";
  // 64 MB float32 tensors plus many small ones (a model has hundreds of entries)
  io::NamedTensors tensors;
  const int64_t big = mb / 64;
  for (int64_t i = 0; i < big; ++i) tensors.emplace_back("layers." + std::to_string(i) + ".weight", Tensor::full({4096, 4096}, 0.5));
  for (int64_t i = 0; i < 400; ++i) tensors.emplace_back("layers." + std::to_string(i) + ".norm", Tensor::ones({1024}));
  io::save_safetensors(g_file, tensors, {{"format", "pt"}});
  io::save_torch(g_bin, tensors);
}

void BM_SafetensorsOpenAll(benchmark::State& state) {
  for (auto _ : state) {
    io::SafetensorsReader r(g_file);
    auto all = r.tensors();
    benchmark::DoNotOptimize(all.data());
  }
  state.counters["file_MB"] = double(fs::file_size(g_file)) / 1e6;
}
BENCHMARK(BM_SafetensorsOpenAll)->Unit(benchmark::kMillisecond);

void BM_TorchBinOpenAll(benchmark::State& state) {
  for (auto _ : state) {
    io::TorchReader r(g_bin);
    auto all = r.tensors();
    benchmark::DoNotOptimize(all.data());
  }
  state.counters["file_MB"] = double(fs::file_size(g_bin)) / 1e6;
}
BENCHMARK(BM_TorchBinOpenAll)->Unit(benchmark::kMillisecond);

// One cold-ish measurement with RSS before / after load / after touching every byte.
void report_rss() {
  const double before = rss_mb();
  const auto t0 = std::chrono::steady_clock::now();
  auto all = io::load_safetensors(g_file);
  const auto t1 = std::chrono::steady_clock::now();
  const double loaded = rss_mb();
  double sum = 0;
  for (const auto& [k, t] : all) {
    const float* p = static_cast<const float*>(t.data_ptr());
    for (int64_t i = 0; i < t.numel(); i += 1024) sum += p[i];  // one read per page
  }
  const double touched = rss_mb();
  std::printf("safetensors %s: %zu tensors, %.0f MB; load %.3f ms; RSS %.1f MB before, %.1f MB after load "
              "(+%.1f), %.1f MB after touching every page (+%.1f)  [checksum %.0f]\n",
              g_file.c_str(), all.size(), double(fs::file_size(g_file)) / 1e6,
              std::chrono::duration<double, std::milli>(t1 - t0).count(), before, loaded, loaded - before, touched,
              touched - before, sum);
}
}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("TRANSFORMERS_BENCH_IO_MB");
  make_files(env ? std::atoll(env) : 1024);
  report_rss();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  fs::remove_all(g_dir, ec);
  return 0;
}
