// Reading OpenAI request bodies (include/transformers/serving/openai_request.hpp). Field names,
// types and ranges are those of OpenAI's API reference; every refusal names the field (`param`).
#include "transformers/serving/openai_request.hpp"

#include <cmath>

#include "transformers/core/quote.hpp"
#include "transformers/io/json_file.hpp"

namespace transformers::serving {

using json = nlohmann::ordered_json;

json error_body(const std::string& message, const std::string& type, const std::string& param, const std::string& code) {
  return json{{"error",
               {{"message", message},
                {"type", type},
                {"param", param.empty() ? json(nullptr) : json(param)},
                {"code", code.empty() ? json(nullptr) : json(code)}}}};
}

json ApiError::body() const { return error_body(what(), type, param, code); }

namespace {

ApiError bad_field(const std::string& param, const std::string& expected, const json& found) {
  return ApiError(400, "'" + param + "': expected " + expected + ", found " + quote_input(found.dump()), "invalid_request_error",
                  param);
}

// The field `key` when present and not null (OpenAI treats null as "not given").
const json* field(const json& body, const char* key) {
  auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

std::optional<double> number_in(const json& body, const char* key, double lo, double hi, bool lo_open) {
  const json* v = field(body, key);
  if (!v) return std::nullopt;
  const std::string range = std::string(lo_open ? "(" : "[") + json(lo).dump() + ", " + json(hi).dump() + "]";
  if (!v->is_number()) throw bad_field(key, "a number in " + range, *v);
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < lo || d > hi || (lo_open && d == lo)) throw bad_field(key, "a number in " + range, *v);
  return d;
}

std::optional<int64_t> positive_int(const json& body, const char* key) {
  const json* v = field(body, key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer() || v->get<int64_t>() < 1 || (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX)))
    throw bad_field(key, "an integer >= 1", *v);
  return v->get<int64_t>();
}

bool boolean(const json& body, const char* key) {
  const json* v = field(body, key);
  if (!v) return false;
  if (!v->is_boolean()) throw bad_field(key, "a boolean", *v);
  return v->get<bool>();
}

// A message's content: a string, or a list of {"type": "text", "text": ...} parts (joined).
std::string content_text(const json& content, const std::string& param) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) throw bad_field(param, "a string or a list of text parts", content);
  std::string text;
  for (const auto& part : content) {
    if (!part.is_object() || part.value("type", json()) != "text" || !part.contains("text") || !part["text"].is_string())
      throw ApiError(400, "'" + param + "': only text parts ({\"type\": \"text\", \"text\": ...}) are supported, found " +
                              quote_input(part.dump()),
                     "invalid_request_error", param);
    text += part["text"].get<std::string>();
  }
  return text;
}

json read_messages(const json& body) {
  const json* v = field(body, "messages");
  if (!v) throw ApiError(400, "'messages' is required", "invalid_request_error", "messages");
  if (!v->is_array() || v->empty()) throw bad_field("messages", "a non-empty list of messages", *v);
  json out = json::array();
  for (std::size_t i = 0; i < v->size(); ++i) {
    const json& m = (*v)[i];
    const std::string at = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) throw bad_field(at, "an object", m);
    auto role = m.find("role");
    if (role == m.end() || !role->is_string()) throw bad_field(at + ".role", "a string", role == m.end() ? json() : *role);
    auto content = m.find("content");
    const std::string text = content == m.end() || content->is_null() ? "" : content_text(*content, at + ".content");
    json message = m;  // other keys (name, tool_calls, tool_call_id) reach the template as given
    message["content"] = text;
    out.push_back(std::move(message));
  }
  return out;
}

std::vector<std::string> read_stop(const json& body) {
  const json* v = field(body, "stop");
  if (!v) return {};
  std::vector<std::string> out;
  if (v->is_string()) out.push_back(v->get<std::string>());
  else if (v->is_array() && v->size() <= 4)
    for (const auto& s : *v) {
      if (!s.is_string()) throw bad_field("stop", "a string or a list of at most 4 strings", *v);
      out.push_back(s.get<std::string>());
    }
  else throw bad_field("stop", "a string or a list of at most 4 strings", *v);
  for (const auto& s : out)
    if (s.empty()) throw bad_field("stop", "non-empty strings", *v);
  return out;
}

// The request body as a JSON object (400 otherwise).
json body_object(std::string_view body_text) {
  json body;
  try {
    body = io::parse_ordered_json(body_text, "the request body");
  } catch (const Error& e) {
    throw ApiError(400, std::string("malformed JSON: ") + e.what());
  }
  if (!body.is_object()) throw ApiError(400, "the request body must be a JSON object, found " + quote_input(body.dump()));
  return body;
}

std::string model_field(const json& body) {
  const json* model = field(body, "model");
  if (!model) throw ApiError(400, "'model' is required", "invalid_request_error", "model");
  if (!model->is_string()) throw bad_field("model", "a string", *model);
  return model->get<std::string>();
}

}  // namespace

CompletionRequest parse_completion_request(std::string_view body_text, bool chat) {
  const json body = body_object(body_text);
  CompletionRequest r;
  r.chat = chat;
  r.model = model_field(body);
  if (chat) {
    r.messages = read_messages(body);
  } else {
    const json* p = field(body, "prompt");
    if (!p) throw ApiError(400, "'prompt' is required", "invalid_request_error", "prompt");
    if (p->is_array() && p->size() == 1 && (*p)[0].is_string()) r.prompt = (*p)[0].get<std::string>();
    else if (p->is_string()) r.prompt = p->get<std::string>();
    else throw bad_field("prompt", "a string (or a list of one string)", *p);
  }
  r.max_tokens = positive_int(body, "max_tokens");
  if (auto m = positive_int(body, "max_completion_tokens")) r.max_tokens = m;
  r.temperature = number_in(body, "temperature", 0.0, 2.0, false);
  r.top_p = number_in(body, "top_p", 0.0, 1.0, true);
  if (const json* s = field(body, "seed")) {
    if (!s->is_number_integer()) throw bad_field("seed", "an integer", *s);
    r.seed = s->is_number_unsigned() ? s->get<uint64_t>() : uint64_t(s->get<int64_t>());
  }
  if (const json* n = field(body, "n")) {
    if (!n->is_number_integer() || n->get<int64_t>() < 1 || n->get<int64_t>() > 128 || n->is_number_unsigned() && n->get<uint64_t>() > 128)
      throw bad_field("n", "an integer in [1, 128]", *n);
    r.n = n->get<int64_t>();
  }
  // logprobs: a boolean in chat (with top_logprobs alternatives), the count of alternatives in completions
  if (const json* lp = field(body, "logprobs")) {
    if (chat) {
      if (!lp->is_boolean()) throw bad_field("logprobs", "a boolean", *lp);
      r.logprobs = lp->get<bool>();
    } else {
      if (!lp->is_number_integer() || lp->get<int64_t>() < 0 || lp->get<int64_t>() > 5)
        throw bad_field("logprobs", "an integer in [0, 5]", *lp);
      r.logprobs = true;
      r.top_logprobs = lp->get<int64_t>();
    }
  }
  if (const json* top = field(body, "top_logprobs"); top && chat) {
    if (!top->is_number_integer() || top->get<int64_t>() < 0 || top->get<int64_t>() > 20)
      throw bad_field("top_logprobs", "an integer in [0, 20]", *top);
    if (!r.logprobs)
      throw ApiError(400, "'top_logprobs': needs 'logprobs' set to true", "invalid_request_error", "top_logprobs");
    r.top_logprobs = top->get<int64_t>();
  }
  r.presence_penalty = number_in(body, "presence_penalty", -2.0, 2.0, false);
  r.frequency_penalty = number_in(body, "frequency_penalty", -2.0, 2.0, false);
  r.stop = read_stop(body);
  r.stream = boolean(body, "stream");
  if (const json* so = field(body, "stream_options")) {
    if (!so->is_object()) throw bad_field("stream_options", "an object", *so);
    r.include_usage = boolean(*so, "include_usage");
  }
  return r;
}

EmbeddingRequest parse_embedding_request(std::string_view body_text) {
  const json body = body_object(body_text);
  EmbeddingRequest r;
  r.model = model_field(body);
  const json* in = field(body, "input");
  if (!in) throw ApiError(400, "'input' is required", "invalid_request_error", "input");
  const char* expected = "a non-empty string or a list of 1 to 2048 non-empty strings";
  if (in->is_string()) {
    r.input.push_back(in->get<std::string>());
  } else if (in->is_array() && !in->empty() && in->size() <= 2048) {
    for (const json& s : *in) {
      if (s.is_number_integer() || s.is_array())
        throw ApiError(400, "'input': token-id arrays are not supported, send text", "invalid_request_error", "input");
      if (!s.is_string()) throw bad_field("input", expected, *in);
      r.input.push_back(s.get<std::string>());
    }
  } else {
    throw bad_field("input", expected, *in);
  }
  for (const auto& s : r.input)
    if (s.empty()) throw bad_field("input", expected, *in);
  if (const json* f = field(body, "encoding_format")) {
    if (!f->is_string() || (*f != "float" && *f != "base64")) throw bad_field("encoding_format", "\"float\" or \"base64\"", *f);
    r.base64 = *f == "base64";
  }
  if (const json* d = field(body, "dimensions"))
    throw ApiError(400, "'dimensions': shortening embeddings is not supported, found " + quote_input(d->dump()),
                   "invalid_request_error", "dimensions");
  return r;
}

}  // namespace transformers::serving
