// transformers-cli rerank: documents scored against a query by a cross-encoder and sorted, as
// sentence-transformers' CrossEncoder.rank(query, documents) returns them (cross_encoder.hpp, docs/CLI.md).
#include <cstdio>

#include "cross_encoder.hpp"
#include "model_options.hpp"

namespace transformers::cli {
namespace {

REGISTER_COMMAND("rerank", "documents sorted by a cross-encoder's score against a query (CrossEncoder.rank)",
                 [](CLI::App& app) {
  auto model = std::make_shared<std::string>();
  auto revision = std::make_shared<std::string>();
  auto query = std::make_shared<std::string>();
  auto docs = std::make_shared<std::vector<std::string>>();
  auto as_json = std::make_shared<bool>(false);
  auto threads = std::make_shared<int>(0);
  auto activation = std::make_shared<std::string>();
  app.add_option("--model", *model, "cross-encoder folder or Hub repo id org/name[@revision]")->required();
  app.add_option("--revision", *revision, "Hub branch, tag, commit or refs/pr/N of a repo id --model");
  app.add_option("--query", *query, "the query every document is paired with")->required();
  app.add_option("documents", *docs, "documents to score and sort")->required();
  app.add_flag("--json", *as_json, "print one JSON document");
  app.add_option("--activation", *activation,
                 "activation on the logits instead of the model's default (CrossEncoder's activation_fct)")
      ->check(CLI::IsMember({"sigmoid", "identity", "tanh", "relu", "gelu"}));
  app.add_option("--threads", *threads, "threads for computation (default: physical cores)")->check(ThreadsRange());
  return [=] {
    apply_threads(*threads);
    const CrossEncoder ce = CrossEncoder::load(parse_source(*model, *revision));
    std::optional<std::string> act;
    if (!activation->empty()) act = *activation;
    const auto ranked = ce.rank(*query, *docs, act);
    if (*as_json) {
      json results = json::array();
      for (auto& r : ranked) results.push_back({{"corpus_id", r.corpus_id}, {"score", r.score}, {"text", (*docs)[r.corpus_id]}});
      print_json({{"model", *model}, {"query", *query}, {"activation", act.value_or(ce.default_activation)},
                  {"results", results}});
      return 0;
    }
    std::printf("model: %s (activation: %s)\nquery: %s\n", model->c_str(), act.value_or(ce.default_activation).c_str(),
                query->c_str());
    for (size_t i = 0; i < ranked.size(); ++i)
      std::printf("  %zu. %8.4f  [%zu] %s\n", i + 1, ranked[i].score, ranked[i].corpus_id,
                  (*docs)[ranked[i].corpus_id].c_str());
    return 0;
  };
});

}  // namespace
}  // namespace transformers::cli
