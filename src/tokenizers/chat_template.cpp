// apply_chat_template as transformers 4.51.3 (tokenization_utils_base.py): template choice, the
// variables passed to the template, continue_final_message, and tokenization of the result.
#include "transformers/tokenizers/chat_template.hpp"

#include "transformers/core/quote.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"
#include "transformers/tokenizers/jinja.hpp"
#include "tokenizers/jinja/value.hpp"
#include "tokenizers/unicode.hpp"

namespace transformers {

namespace {

using json = nlohmann::ordered_json;

// Python's str.strip() / lstrip() on UTF-8 (whitespace as str.isspace()).
std::string py_strip(const std::string& s, bool left, bool right) {
  std::size_t b = 0, e = s.size();
  if (left) {
    while (b < e) {
      std::size_t i = b;
      if (!jinja::detail::is_py_space(tokenizers_detail::next_cp(s, i))) break;
      b = i;
    }
  }
  if (right) {
    std::size_t last_keep = b;
    for (std::size_t i = b; i < e;) {
      std::size_t j = i;
      if (!jinja::detail::is_py_space(tokenizers_detail::next_cp(s, j))) last_keep = j;
      i = j;
    }
    e = last_keep;
  }
  return s.substr(b, e - b);
}

// The text to continue: the last message's content, or the last text block of a list content.
std::string final_message_text(const json& conversation) {
  const json& last = conversation.back();
  if (!last.is_object() || !last.contains("content"))
    throw KeyError("continue_final_message: the final message has no 'content'");
  const json& content = last["content"];
  if (content.is_array()) {
    for (auto it = content.rbegin(); it != content.rend(); ++it) {
      if (it->is_object() && it->contains("text")) {
        if (!(*it)["text"].is_string()) throw ValueError("continue_final_message: the final text block's 'text' is not a string");
        return (*it)["text"].get<std::string>();
      }
    }
    throw ValueError("continue_final_message is set but we could not find any text to continuein the final message!");
  }
  if (!content.is_string())
    throw ValueError(std::string("continue_final_message: the final message's content must be a string or a list of blocks, found ") +
                     content.type_name());
  return content.get<std::string>();
}

}  // namespace

std::string render_chat_template(std::string_view template_text, const json& conversation, const ChatTemplateOptions& options,
                                 const json& special_tokens_map) {
  if (options.return_dict && !options.tokenize)
    throw ValueError("`return_dict=True` is incompatible with `tokenize=False`, because there is no dict of tokenizer outputs to return.");
  if (!conversation.is_array()) throw ValueError(std::string("the conversation must be a JSON list of messages, found ") + conversation.type_name());
  if (options.continue_final_message && options.add_generation_prompt)
    throw ValueError(
        "continue_final_message and add_generation_prompt are not compatible. Use continue_final_message when you want the "
        "model to continue the final message, and add_generation_prompt when you want to add a header that will prompt it "
        "to start a new assistant message instead.");
  if (options.tools) {
    if (!options.tools->is_array()) throw ValueError("tools must be a JSON list of tool schemas");
    for (const auto& t : *options.tools)
      if (!t.is_object())
        throw ValueError("Tools should either be a JSON schema, or a callable function with type hints and a docstring suitable for auto-conversion to a schema.");
  }
  if (options.documents) {
    if (!options.documents->is_array()) throw ValueError("documents must be a JSON list of dicts");
    for (const auto& d : *options.documents)
      if (!d.is_object()) throw ValueError("Documents should be a list of dicts with 'title' and 'text' keys!");
  }
  if (!options.template_kwargs.is_object()) throw ValueError("template_kwargs must be a JSON object");
  for (const char* reserved : {"messages", "tools", "documents", "add_generation_prompt"})
    if (options.template_kwargs.contains(reserved))
      throw ValueError(std::string("template_kwargs: '") + reserved + "' is set by apply_chat_template itself");

  const jinja::Template tmpl(template_text);
  json context = json::object();
  context["messages"] = conversation;
  context["tools"] = options.tools ? *options.tools : json(nullptr);
  context["documents"] = options.documents ? *options.documents : json(nullptr);
  context["add_generation_prompt"] = options.add_generation_prompt;
  for (auto it = special_tokens_map.begin(); it != special_tokens_map.end(); ++it) context[it.key()] = it.value();
  for (auto it = options.template_kwargs.begin(); it != options.template_kwargs.end(); ++it) context[it.key()] = it.value();
  std::string rendered = tmpl.render(context);

  if (options.continue_final_message) {
    if (conversation.empty()) throw ValueError("continue_final_message is set but the conversation is empty");
    const std::string final_message = final_message_text(conversation);
    const std::string stripped = py_strip(final_message, true, true);
    const std::size_t loc = rendered.rfind(stripped);
    if (loc == std::string::npos)
      throw ValueError(
          "continue_final_message is set but the final message does not appear in the chat after applying the chat "
          "template! This can happen if the chat template deletes portions of the final message. Please verify the chat "
          "template and final message in your chat to ensure they are compatible.");
    const std::size_t lstripped_len = py_strip(final_message, true, false).size();
    if (rendered.compare(loc, lstripped_len, final_message) == 0 && loc + lstripped_len <= rendered.size() &&
        lstripped_len == final_message.size()) {
      rendered.resize(loc + lstripped_len);
    } else {
      rendered.resize(loc + stripped.size());
    }
  }
  return rendered;
}

}  // namespace transformers

namespace transformers {

nlohmann::ordered_json PreTrainedTokenizerFast::special_tokens_map() const {
  nlohmann::ordered_json m = nlohmann::ordered_json::object();
  const std::pair<const char*, const std::optional<std::string>*> slots[] = {
      {"bos_token", &bos_token}, {"eos_token", &eos_token}, {"unk_token", &unk_token}, {"sep_token", &sep_token},
      {"pad_token", &pad_token}, {"cls_token", &cls_token}, {"mask_token", &mask_token}};
  for (const auto& [key, value] : slots)
    if (*value && !(*value)->empty()) m[key] = **value;  // 4.51 keeps the truthy ones
  if (!additional_special_tokens.empty()) m["additional_special_tokens"] = additional_special_tokens;
  return m;
}

std::string PreTrainedTokenizerFast::get_chat_template(const std::optional<std::string>& name_or_text, bool has_tools) const {
  if (!chat_templates.empty()) {
    if (name_or_text) {
      auto it = chat_templates.find(*name_or_text);
      return it != chat_templates.end() ? it->second : *name_or_text;
    }
    if (has_tools && chat_templates.count("tool_use")) return chat_templates.at("tool_use");
    if (chat_templates.count("default")) return chat_templates.at("default");
    std::string names;
    for (const auto& kv : chat_templates) names += (names.empty() ? "'" : ", '") + kv.first + "'";
    throw ValueError(
        "This model has multiple chat templates with no default specified! Please either pass a chat template or the name "
        "of the template you wish to use to the `chat_template` argument. Available template names are [" + names + "].");
  }
  if (name_or_text) return *name_or_text;
  if (chat_template) return *chat_template;
  throw ValueError(
      "Cannot use chat template functions because tokenizer.chat_template is not set and no template argument was passed! "
      "For information about writing templates and setting the tokenizer.chat_template attribute, please see the "
      "documentation at https://huggingface.co/docs/transformers/main/en/chat_templating");
}

ChatTemplateOutput PreTrainedTokenizerFast::apply_chat_template(const nlohmann::ordered_json& conversation,
                                                                const ChatTemplateOptions& options) const {
  ChatTemplateOutput out;
  const std::string text = get_chat_template(options.chat_template, options.tools.has_value());
  out.text = render_chat_template(text, conversation, options, special_tokens_map());
  if (options.tokenize) {
    BatchEncoding enc = (*this)(std::string_view(out.text), {.add_special_tokens = false});
    out.input_ids = std::move(enc.input_ids.at(0));
    if (options.return_dict) out.attention_mask = std::move(enc.attention_mask.at(0));
  }
  return out;
}

}  // namespace transformers
