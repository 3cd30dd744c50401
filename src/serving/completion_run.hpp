#pragma once
// One completion of `serve`: the prompt (a chat rendered by the tokenizer's chat template, or a
// prompt's text), generate()'s options from the request's parameters (mapped the way transformers
// serve and TGI map them, plus OpenAI's presence/frequency penalties), one sequence per choice (`n`)
// run by the BatchEngine, OpenAI's stop sequences (cut from the text, never streamed), log-
// probabilities, finish reasons and token counts.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "batch_engine.hpp"
#include "transformers/serving/openai_request.hpp"

namespace transformers {
class PreTrainedModel;
class PreTrainedTokenizerFast;
}  // namespace transformers

namespace transformers::serving {

struct PreparedPrompt {
  std::vector<int64_t> ids;
  int64_t max_new_tokens = 0;  // the request's, clamped to what the context has left
};

// The prompt's ids and length budget; ApiError 400 for a template error, an empty prompt or a
// prompt that fills the context. `default_max_tokens` applies when the request gives none.
PreparedPrompt prepare_prompt(PreTrainedModel& model, const PreTrainedTokenizerFast& tok, const CompletionRequest& req,
                              int64_t default_max_tokens);

// The sequences of a request (one per choice), ready for BatchEngine::submit, and their seeds
// (`seed` + choice index with a seed, random ones without).
std::vector<SequenceRequest> sequence_requests(const CompletionRequest& req, const PreparedPrompt& prompt,
                                               std::vector<uint64_t>& seeds);

struct ChoiceResult {
  std::string text;
  std::string finish_reason;  // "stop" (eos or a stop sequence) or "length"
  int64_t completion_tokens = 0;
  nlohmann::ordered_json logprobs;  // null unless asked (chat: {"content": [...]}, completions: legacy lists)
};

struct CompletionResult {
  std::vector<ChoiceResult> choices;
  int64_t prompt_tokens = 0, completion_tokens = 0;
  bool cancelled = false;  // on_text returned false (the client went away)
  double seconds_to_first_token = 0, seconds = 0;  // from the call (0 when nothing was generated)
};

// A piece of a choice's text as soon as it is final (complete UTF-8, not part of a possible stop
// sequence), with the log-probabilities of the tokens it completes (null unless asked); returning
// false cancels the request.
using OnText = std::function<bool(int choice, const std::string& piece, const nlohmann::ordered_json& logprobs)>;

// Waits for the job's sequences, calling `on_text` (may be empty) with each piece.
CompletionResult collect_completion(const PreTrainedTokenizerFast& tok, const CompletionRequest& req,
                                    const PreparedPrompt& prompt, Job& job, const OnText& on_text);

}  // namespace transformers::serving
