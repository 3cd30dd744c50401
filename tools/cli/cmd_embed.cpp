// transformers-cli embed: sentence embeddings as sentence-transformers computes them for
// all-MiniLM-L6-v2 (mean pooling over the attention mask, L2 normalisation) and their cosine
// similarity matrix (docs/CLI.md).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "model_options.hpp"
#include "transformers/hub/hub.hpp"
#include "transformers/io/json_file.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

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

// sentence-transformers truncates at sentence_bert_config.json's max_seq_length when present.
std::optional<size_t> max_seq_length(const Source& src) {
  const auto file = hub::resolve_file(src.path, "sentence_bert_config.json", src.hub);
  if (!file) return std::nullopt;
  const auto j = io::read_json_file(*file, {.what = "sentence-transformers config"});
  if (j.is_object() && j.contains("max_seq_length") && j["max_seq_length"].is_number_unsigned())
    return j["max_seq_length"].get<size_t>();
  return std::nullopt;
}

REGISTER_COMMAND("embed", "sentence embeddings (mean pooling, L2-normalised) and their cosine similarities",
                 [](CLI::App& app) {
  auto model = std::make_shared<std::string>();
  auto revision = std::make_shared<std::string>();
  auto texts = std::make_shared<std::vector<std::string>>();
  auto as_json = std::make_shared<bool>(false);
  auto threads = std::make_shared<int>(0);
  app.add_option("--model", *model, std::string("model folder or Hub repo id org/name[@revision] (default: ") + kDefaultModel + ")");
  app.add_option("--revision", *revision, "Hub branch, tag, commit or refs/pr/N of a repo id --model");
  app.add_option("texts", *texts, "sentences to embed")->required();
  app.add_flag("--json", *as_json, "print one JSON document");
  app.add_option("--threads", *threads, "threads for computation (default: physical cores)")->check(ThreadsRange());
  return [=] {
    apply_threads(*threads);
    const Source src = parse_source(model->empty() ? default_model_path() : *model, *revision);
    const std::string shown = model->empty() ? kDefaultModel : *model;
    auto m = AutoModel::from_pretrained(src.path, {.hub = src.hub});
    auto tok = AutoTokenizer::from_pretrained(src.path, {.hub = src.hub});
    TokenizerCallOptions call{.padding = Padding::Longest, .truncation = true};
    call.max_length = max_seq_length(src);
    if (!call.max_length && tok.model_max_length != SIZE_MAX) call.max_length = tok.model_max_length;
    BatchEncoding batch = tok(*texts, call);
    const int64_t b = int64_t(batch.input_ids.size()), s = int64_t(batch.input_ids[0].size());
    auto flat = [&](const std::vector<std::vector<int64_t>>& rows) {
      std::vector<int64_t> v;
      for (auto& r : rows) v.insert(v.end(), r.begin(), r.end());
      return Tensor::from_vector(v, {b, s});
    };
    ModelInputs in;
    in.input_ids = flat(batch.input_ids);
    in.attention_mask = flat(batch.attention_mask);
    if (!batch.token_type_ids.empty()) in.token_type_ids = flat(batch.token_type_ids);
    Tensor hidden = m->forward(in).last_hidden_state.to(DType::Float32).contiguous();
    const int64_t h = hidden.size(2);
    const float* hp = hidden.data<float>();
    std::vector<std::vector<double>> emb(size_t(b), std::vector<double>(size_t(h), 0.0));
    for (int64_t i = 0; i < b; ++i) {
      double count = 0;
      for (int64_t t = 0; t < s; ++t) {
        if (!batch.attention_mask[size_t(i)][size_t(t)]) continue;
        count += 1;
        for (int64_t k = 0; k < h; ++k) emb[size_t(i)][size_t(k)] += hp[(i * s + t) * h + k];
      }
      double norm = 0;
      for (auto& x : emb[size_t(i)]) {
        x /= std::max(count, 1e-9);
        norm += x * x;
      }
      norm = std::max(std::sqrt(norm), 1e-12);
      for (auto& x : emb[size_t(i)]) x /= norm;
    }
    std::vector<std::vector<double>> sim(size_t(b), std::vector<double>(size_t(b), 0.0));
    for (size_t i = 0; i < size_t(b); ++i)
      for (size_t j = 0; j < size_t(b); ++j)
        for (int64_t k = 0; k < h; ++k) sim[i][j] += emb[i][size_t(k)] * emb[j][size_t(k)];
    if (*as_json) {
      print_json({{"model", shown}, {"embeddings", emb}, {"similarity", sim}});
      return 0;
    }
    std::printf("model: %s (%lld-dimensional embeddings)\ncosine similarity:\n", shown.c_str(), (long long)h);
    for (size_t i = 0; i < size_t(b); ++i) {
      std::printf("  [%zu]", i);
      for (size_t j = 0; j < size_t(b); ++j) std::printf(" %7.4f", sim[i][j]);
      std::printf("  %s\n", (*texts)[i].c_str());
    }
    return 0;
  };
});

}  // namespace
}  // namespace transformers::cli
