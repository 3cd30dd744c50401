// transformers-cli embed: sentence embeddings as SentenceTransformer.encode computes them with the
// model folder's own pipeline (sentence_pipeline.hpp: pooling, Dense, Normalize, prompts) and their
// cosine similarity matrix (docs/CLI.md).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "embedding_files.hpp"
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
  auto input = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto batch_size = std::make_shared<int>(32);
  auto* given = app.add_option("texts", *texts, "sentences to embed");
  app.add_option("--input", *input, "a file of texts to embed, one per line (instead of TEXT...)")->excludes(given);
  app.add_option("--batch-size", *batch_size, "texts per forward pass, longest first (encode(batch_size=...))")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--output", *output, "write the embeddings to FILE.npy (NumPy float32) or FILE.safetensors instead of printing them");
  app.add_flag("--json", *as_json, "print one JSON document");
  app.add_option("--threads", *threads, "threads for computation (default: physical cores)")->check(ThreadsRange());
  auto* by_name = app.add_option("--prompt-name", *prompt_name,
                                 "a prompt of config_sentence_transformers.json, prepended to every text (encode(prompt_name=...))");
  app.add_option("--prompt", *prompt, "a prompt text prepended to every text (encode(prompt=...))")->excludes(by_name);
  return [=] {
    apply_threads(*threads);
    const Source src = parse_source(model->empty() ? default_model_path() : *model, *revision);
    const std::string shown = model->empty() ? kDefaultModel : *model;
    if (texts->empty() && input->empty()) throw CLI::RequiredError("TEXT... or --input FILE");
    if (!output->empty()) is_npy(*output);  // a bad suffix fails before the model loads
    if (!input->empty()) *texts = read_text_lines(*input);
    const SentencePipeline pipeline = SentencePipeline::load(src);
    EncodeOptions opts;
    opts.batch_size = size_t(*batch_size);
    opts.batches_in_parallel = true;  // a CLI run has the pool to itself
    ProgressBar bar("Batches", int64_t((texts->size() + opts.batch_size - 1) / opts.batch_size));
    int64_t batches = 0;
    opts.on_batch = [&](size_t, size_t) { bar.update(++batches); };
    if (!prompt_name->empty()) opts.prompt_name = *prompt_name;
    if (!prompt->empty()) opts.prompt = *prompt;
    const std::vector<std::vector<float>> rows = pipeline.encode(*texts, opts);
    bar.finish();
    if (!output->empty()) {
      write_embeddings(*output, rows);
      const size_t dim = rows.at(0).size();
      if (*as_json) print_json({{"model", shown}, {"output", *output}, {"count", rows.size()}, {"dimension", dim}});
      else std::printf("model: %s\nwrote %zu embeddings (%zu-dimensional) to %s\n", shown.c_str(), rows.size(), dim, output->c_str());
      return 0;
    }
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
