#pragma once
// One completion of `serve`: the prompt (a chat rendered by the tokenizer's chat template, or a
// prompt's text), generate() with the request's parameters mapped the way transformers serve and
// TGI map them, OpenAI's stop sequences (cut from the text, never streamed), the finish reason and
// the token counts. Runs in turns of the StepScheduler, one generation step per turn.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "step_scheduler.hpp"
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

struct CompletionResult {
  std::string text;
  std::string finish_reason;  // "stop" (eos or a stop sequence) or "length"
  int64_t prompt_tokens = 0, completion_tokens = 0;
  bool cancelled = false;  // on_text returned false (the client went away)
  double seconds_to_first_token = 0, seconds = 0;  // from the call (0 when nothing was generated)
};

// Generates; `on_text` (may be empty) receives each new piece of text as soon as it is final
// (complete UTF-8, not part of a possible stop sequence), outside the model's turn; returning
// false cancels the request. Call with the request's running slot held.
CompletionResult run_completion(PreTrainedModel& model, const PreTrainedTokenizerFast& tok, const CompletionRequest& req,
                                const PreparedPrompt& prompt, StepScheduler& scheduler,
                                const std::function<bool(const std::string&)>& on_text);

}  // namespace transformers::serving
