#pragma once
// Chat templates as transformers 4.51's `apply_chat_template` renders them: the conversation, the
// tools, the documents, add_generation_prompt and the tokenizer's special tokens (then the caller's
// extra template variables) go into the template (jinja.hpp); continue_final_message cuts the
// text right after the last message's content.
//
//   auto out = tok.apply_chat_template(messages, {.add_generation_prompt = true});
//   out.text;       // the prompt
//   out.input_ids;  // its tokens (add_special_tokens=false, as 4.51 encodes it)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace transformers {

struct ChatTemplateOptions {
  bool add_generation_prompt = false;
  bool continue_final_message = false;
  // A JSON list of tool schemas ({"type": "function", "function": {...}}), passed as `tools`.
  std::optional<nlohmann::ordered_json> tools;
  // A JSON list of documents ({"title": ..., "text": ...}), passed as `documents`.
  std::optional<nlohmann::ordered_json> documents;
  // The name of one of the tokenizer's named templates, or the template text itself.
  std::optional<std::string> chat_template;
  // Python's tokenize=True: also encode the text (without adding special tokens).
  bool tokenize = true;
  // Python's return_dict=True: input_ids and attention_mask (needs tokenize).
  bool return_dict = false;
  // Extra template variables (Python's **kwargs, e.g. {"enable_thinking": false}); they override
  // the special tokens of the same name.
  nlohmann::ordered_json template_kwargs = nlohmann::ordered_json::object();
};

struct ChatTemplateOutput {
  std::string text;                     // what apply_chat_template(tokenize=False) returns
  std::vector<int64_t> input_ids;       // tokenize
  std::vector<int64_t> attention_mask;  // tokenize and return_dict
};

// The text of apply_chat_template(conversation, tokenize=False, ...) for `template_text`, with
// `special_tokens_map` (the tokenizer's special_tokens_map: {"bos_token": "<s>", ...}) as template
// variables. Throws ValueError / TypeError-like errors as 4.51 raises them, and the template's
// jinja::TemplateError (raise_exception in the template, unsupported syntax).
std::string render_chat_template(std::string_view template_text, const nlohmann::ordered_json& conversation,
                                 const ChatTemplateOptions& options, const nlohmann::ordered_json& special_tokens_map);

}  // namespace transformers
