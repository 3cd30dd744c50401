// Tokenizer throughput: ~1 MB of mixed text (the oracle corpus repeated), one thread, encoded line
// by line with each fixture tokenizer. Compare with bench/compare_tokenizers.py (Python tokenizers).
//   build-tok/bench/bench_tokenizers --benchmark_filter=. [--benchmark_min_time=2s]
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "transformers/tokenizers/tokenizer.hpp"

namespace {

// The repository root, found from this file's path (CMake compiles it by absolute path).
std::string source_dir() { return std::filesystem::path(__FILE__).parent_path().parent_path().string(); }

// The corpus lines repeated until they reach ~1 MB (the same text the Python script builds).
const std::vector<std::string>& text_1mb() {
  static std::vector<std::string> lines = [] {
    std::vector<std::string> base, out;
    std::ifstream f(source_dir() + "/tests/data/tokenizers/corpus.jsonl");
    std::string line;
    while (std::getline(f, line)) base.push_back(nlohmann::json::parse(line).get<std::string>());
    std::size_t total = 0;
    for (std::size_t i = 0; total < (1u << 20) && !base.empty(); ++i) {
      out.push_back(base[i % base.size()]);
      total += out.back().size();
    }
    return out;
  }();
  return lines;
}

void BM_Encode(benchmark::State& state, const std::string& name) {
  auto tok = transformers::Tokenizer::from_file(source_dir() + "/../shared/fixtures/hf/tokenizers/" + name + "/tokenizer.json");
  const auto& lines = text_1mb();
  std::size_t bytes = 0;
  for (const auto& l : lines) bytes += l.size();
  std::size_t tokens = 0;
  for (auto _ : state) {
    tokens = 0;
    for (const auto& l : lines) tokens += tok.encode(l).ids.size();
    benchmark::DoNotOptimize(tokens);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["MB"] = static_cast<double>(bytes) / 1e6;
}

BENCHMARK_CAPTURE(BM_Encode, gpt2_bpe, std::string("gpt2_bpe"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, bert_wordpiece, std::string("bert_wordpiece"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, unigram_metaspace, std::string("unigram_metaspace"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, llama2_bytefallback, std::string("llama2_bytefallback"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, llama3_regex_bpe, std::string("llama3_regex_bpe"))->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
