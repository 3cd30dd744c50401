// transformers-cli bench: how fast a model loads and runs here, in the spirit of llama-bench.
// Load time to a usable model, RSS after load and peak RSS, bytes of weights, then:
//  - causal LMs: prefill of batch x prompt-len tokens into a preallocated KV cache (logits of the
//    last position only, as generate() asks), then gen-len greedy decode steps of one token per row;
//  - other models (encoders): forward of batch x prompt-len tokens, latency and tokens/s.
// Inputs are fixed pseudo-random ids, so runs are repeatable and comparable with
// bench/compare_hf.py, which times Hugging Face transformers the same way on the same folders.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>

#include "../../bench/bench_ops_peaks.hpp"
#include "cli_common.hpp"
#include "model_options.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/nn/kv_cache.hpp"
#include "transformers/ops/matmul.hpp"

namespace transformers::cli {
namespace {

// Bounds of bench's sizes (docs/reliability.md): far above any benchmark, far below a wrap of
// batch x (prompt + gen) token ids or cache rows.
constexpr int64_t kBenchMaxBatch = 1 << 16;
constexpr int64_t kBenchMaxTokens = 1 << 24;
constexpr int64_t kBenchMaxReps = 1000000;

struct BenchArgs {
  ModelArgs m;
  int64_t batch = 1;
  int64_t prompt_len = 128;
  int64_t gen_len = 32;
  int reps = 3;
  bool as_json = false;
  bool peaks = false;
};

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// A "VmRSS:" / "VmHWM:" line of /proc/self/status in bytes; getrusage's ru_maxrss where /proc is absent.
int64_t proc_status_bytes(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0) {
      std::istringstream in(line.substr(std::string(key).size()));
      int64_t kb = 0;
      in >> kb;
      return kb * 1024;
    }
  }
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return int64_t(ru.ru_maxrss) * 1024;
}

// Deterministic ids spread over the vocabulary (a multiplicative hash), never 0 (often a pad id).
Tensor bench_ids(int64_t batch, int64_t len, int64_t vocab) {
  std::vector<int64_t> v(static_cast<size_t>(batch * len));
  for (size_t i = 0; i < v.size(); ++i) v[i] = 1 + int64_t((uint64_t(i) * 2654435761ull + 12345) % uint64_t(vocab - 1));
  return Tensor::from_vector(v, {batch, len});
}

// Greedy choice per row from logits [batch, 1, vocab] (any float dtype).
Tensor argmax_last(const Tensor& logits) {
  const int64_t b = logits.size(0), s = logits.size(1), v = logits.size(2);
  Tensor f = logits.to(DType::Float32).contiguous();
  const float* p = f.data<float>();
  std::vector<int64_t> ids(static_cast<size_t>(b));
  for (int64_t r = 0; r < b; ++r) {
    const float* row = p + (r * s + (s - 1)) * v;
    ids[size_t(r)] = int64_t(std::max_element(row, row + v) - row);
  }
  return Tensor::from_vector(ids, {b, 1});
}

struct Stats {
  double best = 0, mean = 0;
};
Stats stats_of(const std::vector<double>& v) {
  Stats s;
  s.best = *std::min_element(v.begin(), v.end());
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  return s;
}

json num_or_null(double x, bool ok) { return ok ? json(x) : json(nullptr); }

// The machine's limits, measured now (bench/bench_ops_peaks.hpp): triad bandwidth, float32 FMA
// peak, and what our float32 GEMM (ops::matmul, OpenBLAS) reaches on 2048^3 (best of 3).
json measure_peaks() {
  json j;
  j["threads"] = get_num_threads();
  j["triad_gb_per_s"] = benchpeaks::measure_triad_gbs();
  j["fma_gflops"] = benchpeaks::measure_fma_gflops();
  const int64_t n = 2048;
  const Tensor x = Tensor::full({n, n}, 0.5), w = Tensor::full({n, n}, 0.25);
  double best = 1e30;
  for (int rep = 0; rep < 4; ++rep) {
    const auto t0 = Clock::now();
    Tensor y = ops::matmul(x, w);
    if (rep > 0) best = std::min(best, ms_since(t0));
  }
  j["gemm_gflops"] = 2.0 * double(n) * double(n) * double(n) / (best / 1e3) / 1e9;
  j["gemm_shape"] = "2048x2048x2048 float32";
  return j;
}

int run_bench(const BenchArgs& a) {
  if (a.peaks && a.m.model.empty()) {
    apply_threads(a.m.threads);
    const json p = measure_peaks();
    if (a.as_json) {
      print_json(p);
    } else {
      std::printf("threads          %d\n", p["threads"].get<int>());
      std::printf("triad bandwidth  %.1f GB/s\n", p["triad_gb_per_s"].get<double>());
      std::printf("float32 FMA peak %.1f GFLOP/s\n", p["fma_gflops"].get<double>());
      std::printf("float32 GEMM     %.1f GFLOP/s (2048^3)\n", p["gemm_gflops"].get<double>());
    }
    return 0;
  }
  if (a.m.model.empty()) throw CLI::ValidationError("bench", "--model is required (or --peaks alone)");
  if (a.batch < 1 || a.prompt_len < 1 || a.gen_len < 0 || a.reps < 1)
    throw CLI::ValidationError("bench", "--batch, --prompt-len and --reps must be >= 1, --gen-len >= 0");
  // Threads first, as the Hugging Face side calls torch.set_num_threads before its timer: load_ms
  // is from_pretrained's own time (starting the pool is a once-per-process cost, not the model's).
  apply_threads(a.m.threads);
  const int64_t rss_start = proc_status_bytes("VmRSS:");
  auto t0 = Clock::now();
  auto model = a.m.load();
  const double load_ms = ms_since(t0);
  const int64_t rss_after_load = proc_status_bytes("VmRSS:");
  const int64_t weights_bytes = model->get_memory_footprint(/*return_buffers=*/false);
  const bool causal = model->can_generate();
  const int64_t vocab = model->config().raw().value("vocab_size", int64_t(1000));
  const Tensor ids = bench_ids(a.batch, a.prompt_len, vocab);

  std::vector<double> prefill_ms, decode_ms;
  double first_ms = 0;
  for (int rep = 0; rep <= a.reps; ++rep) {  // rep 0 is the warm-up (pages the weights in)
    if (causal) {
      Cache cache({.max_cache_len = a.prompt_len + a.gen_len});
      t0 = Clock::now();
      ModelOutput out = model->forward({.input_ids = ids, .past_key_values = &cache, .use_cache = true, .logits_to_keep = 1});
      Tensor next = argmax_last(out.logits);
      const double p_ms = ms_since(t0);
      // decode: one token per row per step, attending to everything cached so far
      t0 = Clock::now();
      for (int64_t step = 0; step < a.gen_len; ++step) {
        out = model->forward({.input_ids = next, .past_key_values = &cache, .use_cache = true, .logits_to_keep = 1});
        next = argmax_last(out.logits);
      }
      const double d_ms = ms_since(t0);
      if (rep == 0) {
        first_ms = p_ms;
      } else {
        prefill_ms.push_back(p_ms);
        decode_ms.push_back(d_ms);
      }
    } else {
      t0 = Clock::now();
      ModelOutput out = model->forward({.input_ids = ids});
      const double f_ms = ms_since(t0);
      if (rep == 0) first_ms = f_ms;
      else prefill_ms.push_back(f_ms);
    }
  }
  const Stats pf = stats_of(prefill_ms);
  const double prefill_tps = double(a.batch * a.prompt_len) / (pf.best / 1e3);
  Stats dc;
  double decode_tps = 0;
  if (causal && a.gen_len > 0) {
    dc = stats_of(decode_ms);
    decode_tps = double(a.batch * a.gen_len) / (dc.best / 1e3);
  }
  // Resident memory after the runs, besides the peak: what a loaded model keeps (its packed weight
  // copies included) once the warm-up's transient pages are gone.
  const int64_t rss_end = proc_status_bytes("VmRSS:");
  // Read after rss_end: the kernel's RSS counters are per-CPU approximations and pages can arrive
  // between two reads, so a VmHWM read first was seen below the VmRSS read after it (CI, stop 34).
  // The peak is at least every RSS observed.
  const int64_t peak_rss = std::max({proc_status_bytes("VmHWM:"), rss_end, rss_after_load});
  // the int8 compute type keeps float32 parameters (int8 copies of the Linear weights beside them)
  const std::string dtype_used = a.m.dtype == "int8" ? "int8" : std::string(dtype_name(model->dtype()));

  if (a.as_json) {
    json j;
    j["model"] = a.m.model;
    j["model_type"] = model->config().model_type();
    j["kind"] = causal ? "causal-lm" : "encoder";
    j["threads"] = get_num_threads();
    j["batch"] = a.batch;
    j["prompt_len"] = a.prompt_len;
    j["gen_len"] = causal ? a.gen_len : 0;
    j["reps"] = a.reps;
    j["dtype"] = dtype_used;
    j["attn"] = model->config().attn_implementation();
    j["load_ms"] = load_ms;
    j["rss_before_load_bytes"] = rss_start;
    j["rss_after_load_bytes"] = rss_after_load;
    j["peak_rss_bytes"] = peak_rss;
    j["rss_end_bytes"] = rss_end;
    j["weights_bytes"] = weights_bytes;
    j["num_parameters"] = model->num_parameters();
    j["first_forward_ms"] = first_ms;
    j["forward_ms"] = pf.best;
    j["forward_ms_mean"] = pf.mean;
    j["prefill_tokens_per_s"] = prefill_tps;
    j["decode_tokens_per_s"] = num_or_null(decode_tps, causal && a.gen_len > 0);
    j["decode_ms_per_token"] = num_or_null(dc.best / double(std::max<int64_t>(a.gen_len, 1)), causal && a.gen_len > 0);
    if (a.peaks) j["peaks"] = measure_peaks();
    print_json(j);
    return 0;
  }
  std::printf("model            %s (%s, %s, %s)\n", a.m.model.c_str(), model->config().model_type().c_str(),
              causal ? "causal LM" : "encoder", dtype_used.c_str());
  std::printf("threads          %d\n", get_num_threads());
  std::printf("parameters       %lld (%.1f MB of weights)\n", static_cast<long long>(model->num_parameters()),
              double(weights_bytes) / 1e6);
  std::printf("load             %.2f ms (RSS %.1f -> %.1f MB)\n", load_ms, double(rss_start) / 1e6, double(rss_after_load) / 1e6);
  std::printf("first forward    %.1f ms (warm-up, pages weights in)\n", first_ms);
  if (causal) {
    std::printf("prefill          batch %lld x %lld tokens: %.1f ms best, %.1f ms mean -> %.1f tokens/s\n",
                static_cast<long long>(a.batch), static_cast<long long>(a.prompt_len), pf.best, pf.mean, prefill_tps);
    if (a.gen_len > 0)
      std::printf("decode           %lld steps x batch %lld: %.2f ms/step best -> %.1f tokens/s\n",
                  static_cast<long long>(a.gen_len), static_cast<long long>(a.batch), dc.best / double(a.gen_len), decode_tps);
  } else {
    std::printf("forward          batch %lld x %lld tokens: %.2f ms best, %.2f ms mean -> %.1f tokens/s\n",
                static_cast<long long>(a.batch), static_cast<long long>(a.prompt_len), pf.best, pf.mean, prefill_tps);
  }
  std::printf("peak RSS         %.1f MB\n", double(peak_rss) / 1e6);
  std::printf("RSS at end       %.1f MB\n", double(rss_end) / 1e6);
  return 0;
}

REGISTER_COMMAND("bench", "measure load time, memory, prefill/decode or forward speed of a model", [](CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  a->m.dtype = "auto";  // bench the weights as stored unless asked otherwise
  a->m.with_tp_plan = true;
  a->m.add_to(app);
  app.get_option("--model")->required(false);  // --peaks alone needs no model
  // Explicit bounds: batch x (prompt + gen) sizes the ids and the preallocated KV cache.
  app.add_option("--batch", a->batch, "rows per forward")->capture_default_str()->check(IntRange(1, kBenchMaxBatch));
  app.add_option("--prompt-len", a->prompt_len, "prompt tokens per row (encoders: sequence length)")
      ->capture_default_str()->check(IntRange(1, kBenchMaxTokens));
  app.add_option("--gen-len", a->gen_len, "greedy decode steps (causal LMs)")->capture_default_str()->check(IntRange(0, kBenchMaxTokens));
  app.add_option("--reps", a->reps, "timed repetitions after one warm-up; the best is reported")
      ->capture_default_str()->check(IntRange(1, kBenchMaxReps));
  app.add_flag("--json", a->as_json, "print one JSON object");
  app.add_flag("--peaks", a->peaks, "also measure triad bandwidth, float32 FMA peak and GEMM (alone: only these)");
  return [a] { return run_bench(*a); };
});

}  // namespace
}  // namespace transformers::cli
