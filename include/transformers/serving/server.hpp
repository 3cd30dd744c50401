#pragma once
// An OpenAI-compatible HTTP server for a causal LM (transformers-cli serve, docs/CLI.md):
//   GET  /v1/models            the one model served, as OpenAI's model list
//   POST /v1/chat/completions  messages -> the tokenizer's chat template -> generate (stream: SSE)
//   POST /v1/completions       prompt text -> generate (stream: SSE)
//   POST /v1/embeddings        an embedding model's vectors (ServeOptions::embed; the CLI passes the
//                              model's sentence-transformers pipeline)
//   GET  /health               200 once serving
//   GET  /metrics              Prometheus text: requests, tokens, queue, time to first token
// Errors are OpenAI's error object with 400 (malformed JSON, wrong field types or values), 401
// (wrong API key), 404 (unknown model or route), 413 (body over max_body_size), 429 (queue full),
// 500 (generation failed). Concurrent requests generate together by continuous batching
// (src/serving/batch_engine.hpp): one decode batch that requests join and leave between steps; a
// streaming client that goes away leaves it before the next step.
//
//   serving::Server server(model, tokenizer, {.model_id = "gpt2", .port = 0});
//   int port = server.bind();   // the port chosen for port 0
//   server.listen();            // blocks until stop() (from another thread or a signal handler)
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace transformers {
class PreTrainedModel;
class PreTrainedTokenizerFast;
}  // namespace transformers

namespace transformers::serving {

struct ServeOptions {
  std::string model_id;            // the id /v1/models lists; requests must name it
  std::string host = "127.0.0.1";
  int port = 8000;                 // 0: any free port (bind() returns it)
  std::string api_key;             // non-empty: requests need "Authorization: Bearer <api_key>"
  std::size_t max_body_size = std::size_t(1) << 20;  // bytes; larger bodies are 413
  int max_batch = 8;               // sequences generating at once (a request's n choices count n)
  int max_queue = 64;              // requests waiting for a place among them; more are 429
  int64_t default_max_tokens = 256;  // a request without max_tokens (clamped to the context)
  // An embedding model: one vector per text (called by one request at a time) and a text's token
  // count (for usage). Set: POST /v1/embeddings answers, and the model given to the Server may be
  // null (an embeddings-only server, whose completion endpoints answer 400).
  std::function<std::vector<std::vector<float>>(const std::vector<std::string>&)> embed;
  std::function<int64_t(const std::string&)> count_tokens;
};

class Server {
 public:
  Server(std::shared_ptr<PreTrainedModel> model, std::shared_ptr<const PreTrainedTokenizerFast> tokenizer, ServeOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds host:port; returns the port. EnvironmentError when it cannot.
  int bind();
  // Serves until stop(); call after bind().
  void listen();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace transformers::serving
