// transformers-cli serve: an OpenAI-compatible HTTP server for a causal LM (docs/CLI.md). The
// server itself is the serving layer (include/transformers/serving/server.hpp); this file loads
// the model and tokenizer, prints where it listens and stops on SIGINT / SIGTERM.
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include "cli_common.hpp"
#include "int_options.hpp"
#include "model_options.hpp"
#include "sentence_pipeline.hpp"
#include "transformers/serving/server.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace transformers::cli {
namespace {

volatile std::sig_atomic_t g_stop_requested = 0;

struct ServeArgs {
  ModelArgs model;
  std::string tokenizer, model_id;
  bool embeddings = false;
  serving::ServeOptions serve;
};

int listen_until_signal(serving::Server& server, const ServeArgs& a);

// An embedding model: the folder's sentence-transformers pipeline (as `embed`) behind /v1/embeddings.
std::shared_ptr<const PreTrainedTokenizerFast> embedding_model(ServeArgs& a) {
  auto pipeline = std::make_shared<const SentencePipeline>(SentencePipeline::load(a.model.source()));
  a.serve.embed = [pipeline](const std::vector<std::string>& texts) { return pipeline->encode(texts); };
  a.serve.count_tokens = [pipeline](const std::string& text) { return int64_t(pipeline->tokenizer->encode(text).size()); };
  return pipeline->tokenizer;
}

int run_serve(ServeArgs& a) {
  if (a.embeddings) {
    a.serve.model_id = a.model_id.empty() ? a.model.model : a.model_id;
    auto tok = embedding_model(a);  // sets a.serve.embed before the server copies the options
    serving::Server server(nullptr, tok, a.serve);
    return listen_until_signal(server, a);
  }
  if (a.model.model_class.empty()) a.model.model_class = "AutoModelForCausalLM";
  const Source tok_src = a.tokenizer.empty() ? a.model.source() : parse_source(a.tokenizer, "");
  // A GGUF model carries its tokenizer and chat template (AutoTokenizer's gguf_file=).
  const std::string gguf = a.tokenizer.empty() ? gguf_file_for(tok_src, a.model.gguf_file) : "";
  auto tok = std::make_shared<const PreTrainedTokenizerFast>(
      AutoTokenizer::from_pretrained(tok_src.path, {.split_special_tokens = std::nullopt, .gguf_file = gguf, .hub = tok_src.hub}));
  std::shared_ptr<PreTrainedModel> model = a.model.load();
  a.serve.model_id = a.model_id.empty() ? a.model.model : a.model_id;
  serving::Server server(model, tok, a.serve);
  return listen_until_signal(server, a);
}

int listen_until_signal(serving::Server& server, const ServeArgs& a) {
  // SIGINT / SIGTERM set a flag (threads started before now, e.g. BLAS workers, may be the one
  // receiving it, so no signal mask); a watcher thread stops the server when it is set.
  struct sigaction act {};
  act.sa_handler = [](int) { g_stop_requested = 1; };
  sigemptyset(&act.sa_mask);
  sigaction(SIGINT, &act, nullptr);
  sigaction(SIGTERM, &act, nullptr);
  const int port = server.bind();
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done) {  // stop() again until listen() returns: a signal may come before it started
      if (g_stop_requested) server.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  std::cout << "serving " << a.serve.model_id << " on http://" << a.serve.host << ":" << port << "/v1" << std::endl;
  server.listen();
  done = true;  // (a listen() that returns by itself, e.g. a failed accept, ends the command too)
  watcher.join();
  return 0;
}

REGISTER_COMMAND("serve", "an OpenAI-compatible HTTP server (/v1/chat/completions, /v1/completions, /v1/embeddings)", [](CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  a->model.add_to(app);
  app.add_option("--tokenizer", a->tokenizer, "tokenizer folder or repo id (default: the model's)");
  app.add_flag("--embeddings", a->embeddings,
               "serve an encoder as an embedding model (its sentence-transformers pipeline) on /v1/embeddings");
  app.add_option("--model-id", a->model_id, "the model name /v1/models lists and requests give (default: --model)");
  app.add_option("--host", a->serve.host, "address to listen on")->capture_default_str();
  app.add_option("--port", a->serve.port, "port (0: any free port)")->check(IntRange(0, 65535))->capture_default_str();
  app.add_option("--api-key", a->serve.api_key, "require \"Authorization: Bearer KEY\" on /v1/ requests");
  app.add_option("--max-batch", a->serve.max_batch, "sequences generating at once (continuous batching)")->check(IntRange(1, 1024))->capture_default_str();
  app.add_option("--max-queue", a->serve.max_queue, "requests waiting beyond --max-batch (more: 429)")
      ->check(IntRange(0, 4096))
      ->capture_default_str();
  app.add_option("--max-body-size", a->serve.max_body_size, "largest request body in bytes (more: 413)")
      ->check(IntRange(1, int64_t(1) << 32))
      ->capture_default_str();
  app.add_option("--max-tokens", a->serve.default_max_tokens, "completion length when a request gives no max_tokens")
      ->check(IntRange(1, INT64_MAX))
      ->capture_default_str();
  return [a] { return run_serve(*a); };
});

}  // namespace
}  // namespace transformers::cli
