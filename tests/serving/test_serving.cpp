// transformers-cli serve's server (include/transformers/serving/server.hpp) over HTTP on the GPT-2
// fixture with a chat template: greedy replies equal the `chat` and `generate` commands' for the
// same prompt, streaming gives the same text as SSE chunks ending in [DONE], stop sequences are cut,
// a seed reproduces a sampled reply, concurrent clients all get their own answers, and hostile
// requests get OpenAI's error object with the documented status while the server keeps serving.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "cli/cli_runner.hpp"
#include "serving/serve_fixture.hpp"

namespace {

using namespace serve_test;

json chat_body(const json& messages, int max_tokens, const json& extra = json::object()) {
  json b = {{"model", "tiny"}, {"messages", messages}, {"max_tokens", max_tokens}, {"temperature", 0}};
  b.update(extra);
  return b;
}
json user(const std::string& text) { return json::array({{{"role", "user"}, {"content", text}}}); }

// The JSON answer of a POST that must succeed.
json ok_json(const RunningServer& s, const std::string& path, const json& body) {
  auto r = s.post(path, body.dump());
  EXPECT_TRUE(r) << "no response";
  if (!r) return json();
  EXPECT_EQ(r->status, 200) << r->body;
  return json::parse(r->body);
}

// A streamed completion: the joined text, the finish reason, the usage chunk (or null), and whether
// the stream ended with data: [DONE].
struct Streamed {
  std::string text, finish_reason;
  json usage;
  bool done = false;
};
Streamed stream(const RunningServer& s, const std::string& path, json body) {
  body["stream"] = true;
  auto r = s.post(path, body.dump());
  Streamed out;
  EXPECT_TRUE(r);
  if (!r) return out;
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
  const auto events = sse_data(r->body);
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i] == "[DONE]") {
      out.done = i + 1 == events.size();
      break;
    }
    const json c = json::parse(events[i]);
    if (c.contains("usage")) out.usage = c["usage"];
    if (c["choices"].empty()) continue;
    const json& ch = c["choices"][0];
    if (!ch["finish_reason"].is_null()) out.finish_reason = ch["finish_reason"];
    if (ch.contains("delta")) out.text += ch["delta"].value("content", "");
    else out.text += ch["text"].get<std::string>();
  }
  return out;
}

std::string chat_cli_reply(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"chat", "--model", chat_model_dir()};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = cli_test::run_cli(args);
  EXPECT_EQ(r.status, 0) << r.err;
  return r.out.substr(0, r.out.find('\n'));
}

struct Refusal {
  std::string path, body;
  int status;
  json param;  // OpenAI's error.param
};

void expect_error(const httplib::Result& r, int status, const json& param, const std::string& what) {
  ASSERT_TRUE(r) << what;
  EXPECT_EQ(r->status, status) << what << ": " << r->body;
  const json e = json::parse(r->body, nullptr, false);
  ASSERT_TRUE(e.is_object() && e.contains("error")) << what << ": " << r->body;
  EXPECT_TRUE(e["error"]["message"].is_string()) << what;
  EXPECT_TRUE(e["error"]["type"].is_string()) << what;
  EXPECT_TRUE(e["error"].contains("code")) << what;
  EXPECT_EQ(e["error"]["param"], param) << what << ": " << r->body;
}

TEST(Serve, ModelsAndHealth) {
  RunningServer s;
  auto c = s.client();
  auto r = c.Get("/v1/models");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const json models = json::parse(r->body);
  EXPECT_EQ(models["object"], "list");
  ASSERT_EQ(models["data"].size(), 1u);
  EXPECT_EQ(models["data"][0]["id"], "tiny");
  EXPECT_EQ(models["data"][0]["object"], "model");
  EXPECT_EQ(c.Get("/v1/models/tiny")->status, 200);
  EXPECT_EQ(c.Get("/v1/models/other")->status, 404);
  EXPECT_EQ(c.Get("/health")->status, 200);
}

// The Prometheus value of `name` in a /metrics text (-1 when absent).
double metric(const std::string& text, const std::string& name) {
  const std::size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

TEST(Serve, MetricsCountRequestsAndTokens) {
  RunningServer s;
  auto c = s.client();
  ok_json(s, "/v1/chat/completions", chat_body(user("hello"), 4));
  stream(s, "/v1/completions", {{"model", "tiny"}, {"prompt", "hello there"}, {"max_tokens", 3}, {"temperature", 0}});
  expect_error(s.post("/v1/completions", "{}"), 400, "model", "no model");
  auto r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(metric(r->body, "transformers_completions_total"), 2) << r->body;
  EXPECT_EQ(metric(r->body, "transformers_refused_requests_total"), 1) << r->body;
  EXPECT_EQ(metric(r->body, "transformers_generated_tokens_total"), 7) << r->body;
  EXPECT_EQ(metric(r->body, "transformers_requests_running"), 0) << r->body;
  EXPECT_EQ(metric(r->body, "transformers_requests_waiting"), 0) << r->body;
  EXPECT_GT(metric(r->body, "transformers_time_to_first_token_seconds_sum"), 0) << r->body;
  EXPECT_GE(metric(r->body, "transformers_generation_seconds_sum"), metric(r->body, "transformers_time_to_first_token_seconds_sum"));
}

TEST(Serve, ChatGreedyEqualsTheChatCommand) {
  RunningServer s;
  const json messages = {{{"role", "system"}, {"content", "be nice"}}, {{"role", "user"}, {"content", "hello there"}}};
  const json r = ok_json(s, "/v1/chat/completions", chat_body(messages, 6));
  EXPECT_EQ(r["object"], "chat.completion");
  EXPECT_EQ(r["model"], "tiny");
  ASSERT_EQ(r["choices"].size(), 1u);
  EXPECT_EQ(r["choices"][0]["message"]["role"], "assistant");
  const std::string cli = chat_cli_reply({"--system", "be nice", "--message", "hello there", "--max-new-tokens", "6"});
  EXPECT_FALSE(cli.empty());
  EXPECT_EQ(r["choices"][0]["message"]["content"], cli);
  EXPECT_EQ(r["choices"][0]["finish_reason"], "length");
  static auto tok = transformers::AutoTokenizer::from_pretrained(chat_model_dir());
  transformers::ChatTemplateOptions o;
  o.add_generation_prompt = true;
  const int64_t prompt = int64_t(tok.apply_chat_template(messages, o).input_ids.size());
  EXPECT_EQ(r["usage"], json({{"prompt_tokens", prompt}, {"completion_tokens", 6}, {"total_tokens", prompt + 6}}));
  // max_completion_tokens is max_tokens' newer name
  json b = chat_body(messages, 6);
  b.erase("max_tokens");
  b["max_completion_tokens"] = 6;
  EXPECT_EQ(ok_json(s, "/v1/chat/completions", b)["choices"][0]["message"]["content"], cli);
}

TEST(Serve, CompletionsGreedyEqualsGenerate) {
  RunningServer s;
  const json r = ok_json(s, "/v1/completions", {{"model", "tiny"}, {"prompt", "hello there"}, {"max_tokens", 7}, {"temperature", 0}});
  EXPECT_EQ(r["object"], "text_completion");
  const auto g = cli_test::run_cli({"generate", "--model", chat_model_dir(), "--prompt", "hello there", "--max-new-tokens", "7", "--json"});
  ASSERT_EQ(g.status, 0) << g.err;
  const auto seq = json::parse(g.out)["sequences"][0].get<std::vector<int64_t>>();
  static auto tok = transformers::AutoTokenizer::from_pretrained(chat_model_dir());
  const auto prompt = tok.encode("hello there");
  ASSERT_EQ(seq.size(), prompt.size() + 7);
  EXPECT_EQ(r["choices"][0]["text"],
            tok.decode(std::vector<int64_t>(seq.begin() + long(prompt.size()), seq.end()), {.skip_special_tokens = true}));
  EXPECT_EQ(r["usage"]["prompt_tokens"], prompt.size());
  EXPECT_EQ(r["usage"]["completion_tokens"], 7);
}

TEST(Serve, StreamingGivesTheSameTextInChunks) {
  RunningServer s;
  const json chat = chat_body(user("hello there"), 8);
  const json plain = ok_json(s, "/v1/chat/completions", chat);
  Streamed st = stream(s, "/v1/chat/completions", chat);
  EXPECT_TRUE(st.done);
  EXPECT_EQ(st.text, plain["choices"][0]["message"]["content"]);
  EXPECT_EQ(st.finish_reason, "length");
  EXPECT_TRUE(st.usage.is_null());
  json with_usage = chat;
  with_usage["stream_options"] = {{"include_usage", true}};
  st = stream(s, "/v1/chat/completions", with_usage);
  EXPECT_EQ(st.usage, plain["usage"]);

  const json comp = {{"model", "tiny"}, {"prompt", "hello"}, {"max_tokens", 5}, {"temperature", 0}};
  const json comp_plain = ok_json(s, "/v1/completions", comp);
  st = stream(s, "/v1/completions", comp);
  EXPECT_TRUE(st.done);
  EXPECT_EQ(st.text, comp_plain["choices"][0]["text"]);
  EXPECT_EQ(st.finish_reason, "length");
}

TEST(Serve, StopSequencesAreCutAndFinishTheReply) {
  RunningServer s;
  const std::string full = ok_json(s, "/v1/chat/completions", chat_body(user("hello there"), 12))["choices"][0]["message"]["content"];
  // The second word of the greedy reply as the stop sequence: the reply ends just before it.
  const std::size_t sp = full.find(' ');
  ASSERT_NE(sp, std::string::npos) << full;
  const std::string stop = full.substr(sp, full.find(' ', sp + 1) - sp);
  const std::string expected = full.substr(0, full.find(stop));
  const json body = chat_body(user("hello there"), 12, {{"stop", json::array({"never seen", stop})}});
  const json r = ok_json(s, "/v1/chat/completions", body);
  EXPECT_EQ(r["choices"][0]["message"]["content"], expected);
  EXPECT_EQ(r["choices"][0]["finish_reason"], "stop");
  const Streamed st = stream(s, "/v1/chat/completions", body);
  EXPECT_EQ(st.text, expected);
  EXPECT_EQ(st.finish_reason, "stop");
  EXPECT_TRUE(st.done);
}

TEST(Serve, SamplingWithSeedIsReproducibleAndEqualsTheChatCommand) {
  RunningServer s;
  const json body = chat_body(user("hello"), 8, {{"temperature", 1.5}, {"seed", 7}});
  const json a = ok_json(s, "/v1/chat/completions", body), b = ok_json(s, "/v1/chat/completions", body);
  EXPECT_EQ(a["choices"][0]["message"]["content"], b["choices"][0]["message"]["content"]);
  EXPECT_EQ(a["choices"][0]["message"]["content"],
            chat_cli_reply({"--message", "hello", "--max-new-tokens", "8", "--do-sample", "--seed", "7", "--temperature", "1.5"}));
}

TEST(Serve, ConcurrentClientsEachGetTheirOwnAnswer) {
  RunningServer s({.max_batch = 4, .max_queue = 16});
  const std::vector<std::string> prompts = {"hello", "hello there", "hi again", "there hi", "again", "hi", "hello hi", "there"};
  std::vector<std::string> alone;
  for (const auto& p : prompts)
    alone.push_back(ok_json(s, "/v1/chat/completions", chat_body(user(p), 10))["choices"][0]["message"]["content"]);
  std::vector<std::string> together(prompts.size());
  std::vector<std::thread> clients;
  for (std::size_t i = 0; i < prompts.size(); ++i)
    clients.emplace_back([&, i] {
      const json body = chat_body(user(prompts[i]), 10);
      together[i] = i % 2 ? stream(s, "/v1/chat/completions", body).text
                          : ok_json(s, "/v1/chat/completions", body)["choices"][0]["message"]["content"].get<std::string>();
    });
  for (auto& t : clients) t.join();
  for (std::size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(together[i], alone[i]) << prompts[i];
}

TEST(Serve, HostileRequestsGetOpenAIErrors) {
  RunningServer s({.max_body_size = 4096});
  const std::string chat = "/v1/chat/completions", comp = "/v1/completions";
  const std::string ok_messages = R"("messages": [{"role": "user", "content": "hi"}])";
  const std::vector<Refusal> cases = {
      {chat, "{\"model\": \"tiny\", ", 400, nullptr},
      {chat, "[1, 2]", 400, nullptr},
      {chat, "", 400, nullptr},
      {chat, std::string(600, '[') + std::string(600, ']'), 400, nullptr},
      {chat, R"({"messages": [{"role": "user", "content": "hi"}]})", 400, "model"},
      {chat, R"({"model": 7, )" + ok_messages + "}", 400, "model"},
      {chat, R"({"model": "nope", )" + ok_messages + "}", 404, "model"},
      {chat, R"({"model": "tiny"})", 400, "messages"},
      {chat, R"({"model": "tiny", "messages": []})", 400, "messages"},
      {chat, R"({"model": "tiny", "messages": "hi"})", 400, "messages"},
      {chat, R"({"model": "tiny", "messages": [{"content": "hi"}]})", 400, "messages[0].role"},
      {chat, R"({"model": "tiny", "messages": [{"role": "user", "content": 5}]})", 400, "messages[0].content"},
      {chat, R"({"model": "tiny", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]})", 400, "messages[0].content"},
      {chat, R"({"model": "tiny", "max_tokens": "6", )" + ok_messages + "}", 400, "max_tokens"},
      {chat, R"({"model": "tiny", "max_tokens": 0, )" + ok_messages + "}", 400, "max_tokens"},
      {chat, R"({"model": "tiny", "max_completion_tokens": -3, )" + ok_messages + "}", 400, "max_completion_tokens"},
      {chat, R"({"model": "tiny", "max_tokens": 1e300, )" + ok_messages + "}", 400, "max_tokens"},
      {chat, R"({"model": "tiny", "temperature": 2.5, )" + ok_messages + "}", 400, "temperature"},
      {chat, R"({"model": "tiny", "temperature": "hot", )" + ok_messages + "}", 400, "temperature"},
      {chat, R"({"model": "tiny", "top_p": 0, )" + ok_messages + "}", 400, "top_p"},
      {chat, R"({"model": "tiny", "seed": 1.5, )" + ok_messages + "}", 400, "seed"},
      {chat, R"({"model": "tiny", "n": 0, )" + ok_messages + "}", 400, "n"},
      {chat, R"({"model": "tiny", "n": 129, )" + ok_messages + "}", 400, "n"},
      {chat, R"({"model": "tiny", "stop": [1], )" + ok_messages + "}", 400, "stop"},
      {chat, R"({"model": "tiny", "stop": ["a", "b", "c", "d", "e"], )" + ok_messages + "}", 400, "stop"},
      {chat, R"({"model": "tiny", "stop": "", )" + ok_messages + "}", 400, "stop"},
      {chat, R"({"model": "tiny", "stream": "yes", )" + ok_messages + "}", 400, "stream"},
      {chat, R"({"model": "tiny", "stream_options": 1, )" + ok_messages + "}", 400, "stream_options"},
      {chat, R"({"model": "tiny", "logprobs": 1, )" + ok_messages + "}", 400, "logprobs"},
      {chat, R"({"model": "tiny", "top_logprobs": 2, )" + ok_messages + "}", 400, "top_logprobs"},
      {chat, R"({"model": "tiny", "logprobs": true, "top_logprobs": 21, )" + ok_messages + "}", 400, "top_logprobs"},
      {chat, R"({"model": "tiny", "presence_penalty": 2.5, )" + ok_messages + "}", 400, "presence_penalty"},
      {chat, R"({"model": "tiny", "frequency_penalty": "x", )" + ok_messages + "}", 400, "frequency_penalty"},
      {comp, R"({"model": "tiny"})", 400, "prompt"},
      {comp, R"({"model": "tiny", "prompt": 12})", 400, "prompt"},
      {comp, R"({"model": "tiny", "prompt": ""})", 400, "prompt"},
      {comp, R"({"model": "tiny", "prompt": "hi", "logprobs": 6})", 400, "logprobs"},
      // 70 words: more tokens than the fixture's 64 positions
      {comp, R"({"model": "tiny", "prompt": ")" + [] {
         std::string p;
         for (int i = 0; i < 70; ++i) p += "hello ";
         return p;
       }() + "\"}",
       400, "prompt"},
      {chat, std::string(5000, ' '), 413, nullptr},
  };
  for (const auto& c : cases) expect_error(s.post(c.path, c.body), c.status, c.param, c.body.substr(0, 80));
  EXPECT_EQ(cases.size(), 39u);
  auto cl = s.client();
  expect_error(cl.Get("/v1/nothing"), 404, nullptr, "unknown route");
  expect_error(cl.Post("/v2/chat", "{}", "application/json"), 404, nullptr, "unknown route");
  expect_error(cl.Get("/v1/chat/completions"), 404, nullptr, "wrong method");
  // Unknown fields are ignored (as OpenAI does); max_tokens beyond the context is clamped to it.
  const json r = ok_json(s, comp, {{"model", "tiny"}, {"prompt", "hello there"}, {"max_tokens", 1000}, {"temperature", 0},
                                   {"frequency_penalty_typo", true}});
  EXPECT_EQ(r["usage"]["total_tokens"], 64);
  EXPECT_EQ(r["choices"][0]["finish_reason"], "length");
}

TEST(Serve, ApiKey) {
  RunningServer s({.api_key = "sekret"});
  auto c = s.client();
  expect_error(c.Get("/v1/models"), 401, nullptr, "no key");
  c.set_bearer_token_auth("wrong");
  expect_error(c.Get("/v1/models"), 401, nullptr, "wrong key");
  c.set_bearer_token_auth("sekret");
  EXPECT_EQ(c.Get("/v1/models")->status, 200);
  EXPECT_EQ(c.Get("/health")->status, 200);  // not an API route
}

TEST(Serve, AClientThatGoesAwayDoesNotStopTheServer) {
  RunningServer s({.max_batch = 1, .max_queue = 4});
  auto c = s.client();
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/chat/completions";
  req.body = chat_body(user("hello"), 40, {{"stream", true}}).dump();
  req.set_header("Content-Type", "application/json");
  int chunks = 0;
  req.content_receiver = [&](const char*, std::size_t, uint64_t, uint64_t) { return ++chunks < 2; };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  c.send(req, res, err);
  EXPECT_EQ(chunks, 2);
  // the one running slot is free again: the next request is served
  EXPECT_EQ(ok_json(s, "/v1/chat/completions", chat_body(user("hello"), 3))["usage"]["completion_tokens"], 3);
}

TEST(Serve, NChoicesAreSeededPerChoice) {
  RunningServer s;
  const json body = chat_body(user("hello"), 6, {{"temperature", 1.5}, {"seed", 7}, {"n", 3}});
  const json r = ok_json(s, "/v1/chat/completions", body);
  ASSERT_EQ(r["choices"].size(), 3u);
  // choice i samples as a request with seed 7 + i alone
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r["choices"][i]["index"], i);
    const json one = ok_json(s, "/v1/chat/completions", chat_body(user("hello"), 6, {{"temperature", 1.5}, {"seed", 7 + i}}));
    EXPECT_EQ(r["choices"][i]["message"]["content"], one["choices"][0]["message"]["content"]) << i;
  }
  EXPECT_EQ(r["usage"]["completion_tokens"], 18);
  // streamed: every choice's chunks carry its index and each ends with its finish reason
  json sb = body;
  sb["stream"] = true;
  auto res = s.post("/v1/chat/completions", sb.dump());
  ASSERT_TRUE(res);
  std::vector<std::string> texts(3);
  int finishes = 0;
  for (const auto& e : sse_data(res->body)) {
    if (e == "[DONE]") continue;
    const json c = json::parse(e);
    const int i = c["choices"][0]["index"];
    texts[size_t(i)] += c["choices"][0]["delta"].value("content", "");
    finishes += c["choices"][0]["finish_reason"].is_null() ? 0 : 1;
  }
  EXPECT_EQ(finishes, 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(texts[size_t(i)], r["choices"][i]["message"]["content"]) << i;
}

// logprobs are the raw model's (log-softmax of the logits): greedy picks the first of top_logprobs;
// with OpenAI's penalties, the pick is the best of logprob - frequency * count - presence * (count > 0)
// over the tokens generated before it.
TEST(Serve, LogprobsAndPresenceFrequencyPenalties) {
  RunningServer s;
  const json plain = ok_json(s, "/v1/chat/completions", chat_body(user("hello there"), 10, {{"logprobs", true}, {"top_logprobs", 5}}));
  const json& content = plain["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), 10u);
  for (const auto& t : content) {
    ASSERT_EQ(t["top_logprobs"].size(), 5u);
    EXPECT_EQ(t["token"], t["top_logprobs"][0]["token"]);
    EXPECT_EQ(t["logprob"], t["top_logprobs"][0]["logprob"]);
    EXPECT_LE(t["logprob"].get<double>(), 0.0);
  }
  const double freq = 1.5, presence = 0.75;
  const json pen = ok_json(s, "/v1/chat/completions",
                           chat_body(user("hello there"), 10, {{"logprobs", true}, {"top_logprobs", 20},
                                                               {"frequency_penalty", freq}, {"presence_penalty", presence}}));
  const json& steps = pen["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(steps.size(), 10u);
  std::map<std::string, int> count;
  int changed = 0;
  for (const auto& t : steps) {
    std::string best;
    double best_score = -1e30;
    for (const auto& c : t["top_logprobs"]) {
      const int n = count[c["token"].get<std::string>()];
      const double score = c["logprob"].get<double>() - freq * n - (n > 0 ? presence : 0.0);
      if (score > best_score) best_score = score, best = c["token"];
    }
    EXPECT_EQ(t["token"], best);
    changed += t["token"] != t["top_logprobs"][0]["token"] ? 1 : 0;
    ++count[t["token"].get<std::string>()];
  }
  EXPECT_GT(changed, 0);  // the penalties did change a pick
  // completions: the legacy lists
  const json comp = ok_json(s, "/v1/completions", {{"model", "tiny"}, {"prompt", "hello"}, {"max_tokens", 4}, {"temperature", 0}, {"logprobs", 2}});
  const json& lp = comp["choices"][0]["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), 4u);
  ASSERT_EQ(lp["token_logprobs"].size(), 4u);
  ASSERT_EQ(lp["top_logprobs"].size(), 4u);
  EXPECT_EQ(lp["top_logprobs"][0].size(), 2u);
  EXPECT_EQ(lp["text_offset"][0], 0);
}

// /v1/embeddings around ServeOptions::embed (the CLI passes the sentence-transformers pipeline; the
// openai-client test checks real vectors against sentence-transformers): the list shape, usage,
// base64 as little-endian float32, and the 400s.
TEST(Serve, EmbeddingsEndpoint) {
  std::vector<std::vector<std::string>> calls;
  transformers::serving::ServeOptions o;
  o.embed = [&calls](const std::vector<std::string>& texts) {
    calls.push_back(texts);
    std::vector<std::vector<float>> rows;
    for (const auto& t : texts) rows.push_back({float(t.size()), 0.5f, -1.25f});
    return rows;
  };
  o.count_tokens = [](const std::string& t) { return int64_t(t.size()) + 1; };
  RunningServer s(o);
  const json r = ok_json(s, "/v1/embeddings", {{"model", "tiny"}, {"input", json::array({"abc", "hello"})}});
  EXPECT_EQ(r["object"], "list");
  EXPECT_EQ(r["model"], "tiny");
  ASSERT_EQ(r["data"].size(), 2u);
  EXPECT_EQ(r["data"][1], json({{"object", "embedding"}, {"index", 1}, {"embedding", {5.0, 0.5, -1.25}}}));
  EXPECT_EQ(r["usage"], json({{"prompt_tokens", 10}, {"total_tokens", 10}}));
  ASSERT_EQ(calls.size(), 1u);  // one batch
  const json b = ok_json(s, "/v1/embeddings", {{"model", "tiny"}, {"input", "abcd"}, {"encoding_format", "base64"}});
  // [4.0f, 0.5f, -1.25f] little-endian: 00 00 80 40 | 00 00 00 3f | 00 00 a0 bf
  EXPECT_EQ(b["data"][0]["embedding"], "AACAQAAAAD8AAKC/");
  const std::string e = "/v1/embeddings";
  const std::vector<Refusal> cases = {
      {e, R"({"model": "tiny"})", 400, "input"},
      {e, R"({"model": "tiny", "input": ""})", 400, "input"},
      {e, R"({"model": "tiny", "input": []})", 400, "input"},
      {e, R"({"model": "tiny", "input": [1, 2, 3]})", 400, "input"},
      {e, R"({"model": "tiny", "input": [[1, 2]]})", 400, "input"},
      {e, R"({"model": "tiny", "input": ["a", 5]})", 400, "input"},
      {e, R"({"model": "tiny", "input": "a", "encoding_format": "int8"})", 400, "encoding_format"},
      {e, R"({"model": "tiny", "input": "a", "dimensions": 2})", 400, "dimensions"},
      {e, R"({"model": "other", "input": "a"})", 404, "model"},
      {e, R"({"input": "a"})", 400, "model"},
  };
  for (const auto& c : cases) expect_error(s.post(c.path, c.body), c.status, c.param, c.body);
  EXPECT_EQ(cases.size(), 10u);
  EXPECT_EQ(calls.size(), 2u);
  // a server without an embedding model says so
  RunningServer plain;
  expect_error(plain.post(e, R"({"model": "tiny", "input": "a"})"), 400, "model", "no embedding model");
}

}  // namespace
