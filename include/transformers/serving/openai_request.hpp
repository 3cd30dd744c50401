#pragma once
// The request bodies of OpenAI's /v1/chat/completions and /v1/completions, read and checked: what
// the server generates from, or an ApiError that becomes OpenAI's error object
// {"error": {"message", "type", "param", "code"}} with its HTTP status. Unknown fields are ignored
// (as OpenAI does); a known field of the wrong type or out of range is 400 naming the field.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "transformers/core/error.hpp"

namespace transformers::serving {

// An error the API reports to the client: HTTP status and the fields of OpenAI's error object.
class ApiError : public ValueError {
 public:
  ApiError(int status, std::string message, std::string type = "invalid_request_error", std::string param = "",
           std::string code = "")
      : ValueError(message), status(status), type(std::move(type)), param(std::move(param)), code(std::move(code)) {}
  // {"error": {"message", "type", "param", "code"}}; an empty param / code is JSON null.
  nlohmann::ordered_json body() const;
  int status;
  std::string type, param, code;
};

// OpenAI's error object for `status` and `message` (the body of every error response).
nlohmann::ordered_json error_body(const std::string& message, const std::string& type, const std::string& param = "",
                                  const std::string& code = "");

struct CompletionRequest {
  bool chat = false;                     // /v1/chat/completions (messages) or /v1/completions (prompt)
  std::string model;
  nlohmann::ordered_json messages;       // chat: the messages, each content as text (parts joined)
  std::string prompt;                    // completions
  std::optional<int64_t> max_tokens;     // max_completion_tokens, else max_tokens
  std::optional<double> temperature;     // [0, 2]; 0 is greedy
  std::optional<double> top_p;           // (0, 1]
  std::optional<uint64_t> seed;
  int64_t n = 1;                         // choices, [1, 128]
  bool logprobs = false;                 // chat: logprobs true; completions: logprobs an integer
  int64_t top_logprobs = 0;              // chat: top_logprobs [0, 20]; completions: logprobs [0, 5]
  std::optional<double> presence_penalty, frequency_penalty;  // [-2, 2]
  std::vector<std::string> stop;         // at most 4, not empty strings
  bool stream = false;
  bool include_usage = false;            // stream_options.include_usage
};

// Parses and checks a request body (`chat` picks the endpoint's schema). Throws ApiError (400).
CompletionRequest parse_completion_request(std::string_view body, bool chat);

// The body of /v1/embeddings: `input` a string or a list of 1..2048 non-empty strings (token-id
// arrays are refused: 400 naming 'input'), `encoding_format` "float" (default) or "base64"
// (little-endian float32 bytes, what the openai client asks for by default), `dimensions` refused.
struct EmbeddingRequest {
  std::string model;
  std::vector<std::string> input;
  bool base64 = false;
};
EmbeddingRequest parse_embedding_request(std::string_view body);

}  // namespace transformers::serving
