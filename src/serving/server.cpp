// The OpenAI-compatible server (include/transformers/serving/server.hpp) on cpp-httplib: routes,
// the error object for every refusal, and the Server-Sent Events of streamed completions (one
// `data: {chunk}` event per piece of text, the finish reason, optional usage, `data: [DONE]`).
#include "transformers/serving/server.hpp"

#include <httplib.h>

#include <atomic>
#include <ctime>
#include <mutex>

#include "completion_run.hpp"
#include "transformers/core/base64.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/serving/openai_request.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"

namespace transformers::serving {

using json = nlohmann::ordered_json;

namespace {

// Generated text is valid UTF-8 (decode replaces bad bytes), but nothing reaching a client may throw.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void send_error(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(dump(body), "application/json");
}

json usage(const CompletionResult& r) {
  return json{{"prompt_tokens", r.prompt_tokens},
              {"completion_tokens", r.completion_tokens},
              {"total_tokens", r.prompt_tokens + r.completion_tokens}};
}

}  // namespace

struct Server::Impl {
  std::shared_ptr<PreTrainedModel> model;
  std::shared_ptr<const PreTrainedTokenizerFast> tok;
  ServeOptions o;
  std::unique_ptr<BatchEngine> engine;  // null for an embeddings-only server
  std::mutex embed_mu;                  // one embedding forward at a time
  httplib::Server http;
  std::atomic<uint64_t> next_id{0};
  // /metrics: totals since the start (guarded by metrics_mu)
  std::mutex metrics_mu;
  uint64_t completions = 0, refusals = 0, prompt_tokens = 0, completion_tokens = 0;
  double ttft_seconds = 0, generation_seconds = 0;
  const int64_t started = int64_t(std::time(nullptr));

  Impl(std::shared_ptr<PreTrainedModel> m, std::shared_ptr<const PreTrainedTokenizerFast> t, ServeOptions opts)
      : model(std::move(m)), tok(std::move(t)), o(std::move(opts)), engine(model ? std::make_unique<BatchEngine>(*model, o.max_batch, o.max_queue) : nullptr) {
    // Every waiting or running request holds one HTTP thread; a few more answer /v1/models meanwhile.
    const std::size_t threads = std::size_t(o.max_batch) + std::size_t(o.max_queue) + 4;
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.set_payload_max_length(o.max_body_size);
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (o.api_key.empty() || req.path.rfind("/v1/", 0) != 0) return httplib::Server::HandlerResponse::Unhandled;
      if (req.get_header_value("Authorization") == "Bearer " + o.api_key) return httplib::Server::HandlerResponse::Unhandled;
      send_error(res, 401, error_body("Incorrect API key provided.", "invalid_request_error", "", "invalid_api_key"));
      return httplib::Server::HandlerResponse::Handled;
    });
    // Statuses httplib sets itself (unknown route, oversize body, unreadable request) get the error object too.
    http.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      std::string message = "HTTP status " + std::to_string(res.status);
      std::string code;
      if (res.status == 404) {
        message = "Invalid URL (" + escape_input(req.method) + " " + escape_input(req.path) + ")";
        code = "unknown_url";
      } else if (res.status == 413) {
        message = "the request body is larger than the server's limit of " + std::to_string(o.max_body_size) + " bytes";
        code = "request_too_large";
      }
      send_error(res, res.status, error_body(message, "invalid_request_error", "", code));
      return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string message = "internal error";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        message = e.what();
      } catch (...) {
      }
      send_error(res, 500, error_body(message, "server_error"));
    });

    http.Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"status":"ok"})", "application/json");
    });
    http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(dump(json{{"object", "list"}, {"data", json::array({model_entry()})}}), "application/json");
    });
    http.Get(R"(/v1/models/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (req.matches[1] == o.model_id) res.set_content(dump(model_entry()), "application/json");
      else send_error(res, 404, unknown_model(req.matches[1]).body());
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics_text(), "text/plain; version=0.0.4");
    });
    http.Post("/v1/chat/completions",
              [this](const httplib::Request& req, httplib::Response& res) { handle_completion(req, res, true); });
    http.Post("/v1/completions",
              [this](const httplib::Request& req, httplib::Response& res) { handle_completion(req, res, false); });
    http.Post("/v1/embeddings", [this](const httplib::Request& req, httplib::Response& res) { handle_embeddings(req, res); });
  }

  void record(const CompletionResult& r) {
    std::lock_guard lock(metrics_mu);
    ++completions;
    prompt_tokens += uint64_t(r.prompt_tokens);
    completion_tokens += uint64_t(r.completion_tokens);
    ttft_seconds += r.seconds_to_first_token;
    generation_seconds += r.seconds;
  }

  // Prometheus' text format: counters of completed and refused requests and of tokens, the queue's
  // gauges, and the sums from which time to first token and tokens/s follow (sum / count).
  std::string metrics_text() {
    std::lock_guard lock(metrics_mu);
    std::string out;
    auto metric = [&out](const char* name, const char* type, const char* help, const std::string& value) {
      out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + value + "\n";
    };
    auto num = [](double v) { return json(v).dump(); };
    metric("transformers_completions_total", "counter", "completion requests answered", std::to_string(completions));
    metric("transformers_refused_requests_total", "counter", "completion requests refused with an error object (400, 404, 429)", std::to_string(refusals));
    metric("transformers_prompt_tokens_total", "counter", "prompt tokens of answered requests", std::to_string(prompt_tokens));
    metric("transformers_generated_tokens_total", "counter", "tokens generated", std::to_string(completion_tokens));
    metric("transformers_requests_running", "gauge", "sequences in the running decode batch", std::to_string(engine ? engine->running() : 0));
    metric("transformers_requests_waiting", "gauge", "requests waiting for a place to generate", std::to_string(engine ? engine->waiting() : 0));
    metric("transformers_time_to_first_token_seconds_sum", "counter",
           "seconds from the start of generation to the first token, summed over answered requests", num(ttft_seconds));
    metric("transformers_generation_seconds_sum", "counter", "seconds spent generating, summed over answered requests",
           num(generation_seconds));
    return out;
  }

  json model_entry() const {
    return json{{"id", o.model_id}, {"object", "model"}, {"created", started}, {"owned_by", "transformers.cpp"}};
  }
  static ApiError unknown_model(const std::string& id) {
    return ApiError(404, "The model " + quote_input(id) + " does not exist", "invalid_request_error", "model",
                    "model_not_found");
  }

  void handle_completion(const httplib::Request& req, httplib::Response& res, bool chat) {
    try {
      CompletionRequest r = parse_completion_request(req.body, chat);
      if (r.model != o.model_id) throw unknown_model(r.model);
      if (!engine)
        throw ApiError(400, "the model " + quote_input(o.model_id) + " is an embedding model: use /v1/embeddings",
                       "invalid_request_error", "model", "model_not_supported");
      const PreparedPrompt prompt = prepare_prompt(*model, *tok, r, o.default_max_tokens);
      std::vector<uint64_t> seeds;
      std::shared_ptr<Job> job = engine->submit(sequence_requests(r, prompt, seeds), seeds);
      if (!job)
        throw ApiError(429, "the server is busy: " + std::to_string(o.max_batch) + " sequences are running and " +
                                std::to_string(o.max_queue) + " requests waiting; retry later",
                       "rate_limit_error", "", "queue_full");
      const std::string id = (chat ? "chatcmpl-" : "cmpl-") + std::to_string(next_id++);
      const int64_t created = int64_t(std::time(nullptr));
      if (!r.stream) {
        const CompletionResult out = collect_completion(*tok, r, prompt, *job, nullptr);
        record(out);
        json choices = json::array();
        for (size_t i = 0; i < out.choices.size(); ++i) {
          const ChoiceResult& c = out.choices[i];
          choices.push_back(chat ? json{{"index", i},
                                        {"message", {{"role", "assistant"}, {"content", c.text}}},
                                        {"logprobs", c.logprobs},
                                        {"finish_reason", c.finish_reason}}
                                 : json{{"text", c.text}, {"index", i}, {"logprobs", c.logprobs}, {"finish_reason", c.finish_reason}});
        }
        res.set_content(dump(json{{"id", id},
                                  {"object", chat ? "chat.completion" : "text_completion"},
                                  {"created", created},
                                  {"model", o.model_id},
                                  {"choices", choices},
                                  {"usage", usage(out)}}),
                        "application/json");
        return;
      }
      res.set_header("Cache-Control", "no-cache");
      res.set_chunked_content_provider(
          "text/event-stream",
          [this, r, prompt, job, id, created](std::size_t, httplib::DataSink& sink) {
            stream_completion(r, prompt, id, created, sink, *job);
            return true;
          },
          [job](bool) { job->cancel_all(); });  // the client went away before the end: stop generating
    } catch (const ApiError& e) {
      refused(res, e);
    }
  }

  void refused(httplib::Response& res, const ApiError& e) {
    {
      std::lock_guard lock(metrics_mu);
      ++refusals;
    }
    send_error(res, e.status, e.body());
  }

  void handle_embeddings(const httplib::Request& req, httplib::Response& res) {
    try {
      const EmbeddingRequest r = parse_embedding_request(req.body);
      if (r.model != o.model_id) throw unknown_model(r.model);
      if (!o.embed)
        throw ApiError(400, "the model " + quote_input(o.model_id) + " does not compute embeddings", "invalid_request_error",
                       "model", "model_not_supported");
      std::vector<std::vector<float>> rows;
      int64_t tokens = 0;
      {
        std::lock_guard lock(embed_mu);
        for (const auto& text : r.input) tokens += o.count_tokens ? o.count_tokens(text) : 0;
        rows = o.embed(r.input);
      }
      json data = json::array();
      for (size_t i = 0; i < rows.size(); ++i) {
        json e = {{"object", "embedding"}, {"index", i}};
        if (r.base64) {  // the float32 bytes, little-endian (this library runs on little-endian CPUs only)
          e["embedding"] = base64_encode(std::string_view(reinterpret_cast<const char*>(rows[i].data()), rows[i].size() * sizeof(float)));
        } else {
          e["embedding"] = rows[i];
        }
        data.push_back(std::move(e));
      }
      res.set_content(dump(json{{"object", "list"},
                                {"data", data},
                                {"model", o.model_id},
                                {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}}),
                      "application/json");
    } catch (const ApiError& e) {
      refused(res, e);
    }
  }

  // One chunk object of a streamed completion.
  json chunk(const CompletionRequest& r, const std::string& id, int64_t created, int index, const json& delta_or_text,
             const json& logprobs, const json& finish_reason) const {
    json choice = r.chat ? json{{"index", index}, {"delta", delta_or_text}, {"logprobs", logprobs}, {"finish_reason", finish_reason}}
                         : json{{"text", delta_or_text}, {"index", index}, {"logprobs", logprobs}, {"finish_reason", finish_reason}};
    return json{{"id", id},
                {"object", r.chat ? "chat.completion.chunk" : "text_completion"},
                {"created", created},
                {"model", o.model_id},
                {"choices", json::array({choice})}};
  }

  void stream_completion(const CompletionRequest& r, const PreparedPrompt& prompt, const std::string& id, int64_t created,
                         httplib::DataSink& sink, Job& job) {
    auto event = [&sink](const std::string& data) {
      const std::string e = "data: " + data + "\n\n";
      return sink.write(e.data(), e.size());
    };
    bool open = true;
    if (r.chat)
      for (int c = 0; c < job.choices() && open; ++c)
        open = event(dump(chunk(r, id, created, c, json{{"role", "assistant"}, {"content", ""}}, nullptr, nullptr)));
    if (!open) job.cancel_all();
    if (open) {
      try {
        const CompletionResult out =
            collect_completion(*tok, r, prompt, job, [&](int c, const std::string& piece, const json& lp) {
              return event(dump(chunk(r, id, created, c, r.chat ? json{{"content", piece}} : json(piece), lp, nullptr)));
            });
        record(out);
        for (size_t c = 0; c < out.choices.size() && open && !out.cancelled; ++c)
          open = event(dump(chunk(r, id, created, int(c), r.chat ? json::object() : json(""), nullptr,
                                  out.choices[c].finish_reason)));
        open = open && !out.cancelled;
        if (open && r.include_usage) {
          json u = chunk(r, id, created, 0, json(), nullptr, nullptr);
          u["choices"] = json::array();
          u["usage"] = usage(out);
          open = event(dump(u));
        }
      } catch (const std::exception& e) {  // the status line is sent: the error goes in the stream
        job.cancel_all();
        open = event(dump(error_body(e.what(), "server_error")));
      }
    }
    if (open) event("[DONE]");
    sink.done();
  }
};

Server::Server(std::shared_ptr<PreTrainedModel> model, std::shared_ptr<const PreTrainedTokenizerFast> tokenizer,
               ServeOptions options)
    : impl_(std::make_unique<Impl>(std::move(model), std::move(tokenizer), std::move(options))) {
  if (impl_->o.max_batch < 1 || impl_->o.max_queue < 0)
    throw ValueError("serve: max_batch must be >= 1 and max_queue >= 0, found " + std::to_string(impl_->o.max_batch) +
                     " and " + std::to_string(impl_->o.max_queue));
  if (!impl_->model && !impl_->o.embed) throw ValueError("serve: needs a causal LM, an embedding function, or both");
}
Server::~Server() = default;

int Server::bind() {
  auto& o = impl_->o;
  if (o.port == 0) {
    const int port = impl_->http.bind_to_any_port(o.host);
    if (port < 0) throw EnvironmentError("serve: cannot listen on " + quote_input(o.host) + " (any port)");
    return port;
  }
  if (!impl_->http.bind_to_port(o.host, o.port))
    throw EnvironmentError("serve: cannot listen on " + quote_input(o.host) + ":" + std::to_string(o.port) +
                           " (in use, or not an address of this machine)");
  return o.port;
}

void Server::listen() { impl_->http.listen_after_bind(); }
void Server::stop() { impl_->http.stop(); }

}  // namespace transformers::serving
