// transformers-cli embed: sentence embeddings as SentenceTransformer.encode computes them with the
// model folder's own pipeline (sentence_pipeline.hpp: pooling, Dense, Normalize, prompts) and their
// cosine similarity matrix (docs/CLI.md).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "model_options.hpp"
#include "sentence_pipeline.hpp"

namespace transformers::cli {
namespace {

constexpr const char* kDefaultModel = "sentence-transformers/all-MiniLM-L6-v2";

// The default model: the copy scripts/fetch_default_model unpacked, else the Hub id (cache/Hub).
std::string default_model_path() {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  if (const char* home = std::getenv("TRANSFORMERS_CPP_HOME")) candidates.push_back(fs::path(home) / "models/all-MiniLM-L6-v2");
  if (const char* home = std::getenv("HOME")) candidates.push_back(fs::path(home) / ".cache/transformers-cpp/models/all-MiniLM-L6-v2");
  for (auto& c : candidates)
    if (fs::exists(c / "config.json")) return c.string();
  return kDefaultModel;
}

REGISTER_COMMAND("embed", "sentence embeddings with the model's sentence-transformers pipeline and their cosine similarities",
                 [](CLI::App& app) {
  auto model = std::make_shared<std::string>();
  auto revision = std::make_shared<std::string>();
  auto texts = std::make_shared<std::vector<std::string>>();
  auto as_json = std::make_shared<bool>(false);
  auto threads = std::make_shared<int>(0);
  auto prompt_name = std::make_shared<std::string>();
  auto prompt = std::make_shared<std::string>();
  app.add_option("--model", *model, std::string("model folder or Hub repo id org/name[@revision] (default: ") + kDefaultModel + ")");
  app.add_option("--revision", *revision, "Hub branch, tag, commit or refs/pr/N of a repo id --model");
  app.add_option("texts", *texts, "sentences to embed")->required();
  app.add_flag("--json", *as_json, "print one JSON document");
  app.add_option("--threads", *threads, "threads for computation (default: physical cores)")->check(ThreadsRange());
  auto* by_name = app.add_option("--prompt-name", *prompt_name,
                                 "a prompt of config_sentence_transformers.json, prepended to every text (encode(prompt_name=...))");
  app.add_option("--prompt", *prompt, "a prompt text prepended to every text (encode(prompt=...))")->excludes(by_name);
  return [=] {
    apply_threads(*threads);
    const Source src = parse_source(model->empty() ? default_model_path() : *model, *revision);
    const std::string shown = model->empty() ? kDefaultModel : *model;
    const SentencePipeline pipeline = SentencePipeline::load(src);
    EncodeOptions opts;
    if (!prompt_name->empty()) opts.prompt_name = *prompt_name;
    if (!prompt->empty()) opts.prompt = *prompt;
    const std::vector<std::vector<float>> rows = pipeline.encode(*texts, opts);
    const size_t b = rows.size(), h = rows.at(0).size();
    std::vector<std::vector<double>> emb(b), unit(b);
    for (size_t i = 0; i < b; ++i) {
      emb[i].assign(rows[i].begin(), rows[i].end());
      double norm = 0;
      for (double x : emb[i]) norm += x * x;
      norm = std::max(std::sqrt(norm), 1e-12);
      for (double x : emb[i]) unit[i].push_back(x / norm);
    }
    std::vector<std::vector<double>> sim(b, std::vector<double>(b, 0.0));
    for (size_t i = 0; i < b; ++i)
      for (size_t j = 0; j < b; ++j)
        for (size_t k = 0; k < h; ++k) sim[i][j] += unit[i][k] * unit[j][k];
    if (*as_json) {
      print_json({{"model", shown}, {"embeddings", emb}, {"similarity", sim}});
      return 0;
    }
    std::printf("model: %s (%zu-dimensional embeddings)\ncosine similarity:\n", shown.c_str(), h);
    for (size_t i = 0; i < b; ++i) {
      std::printf("  [%zu]", i);
      for (size_t j = 0; j < b; ++j) std::printf(" %7.4f", sim[i][j]);
      std::printf("  %s\n", (*texts)[i].c_str());
    }
    return 0;
  };
});

}  // namespace
}  // namespace transformers::cli
