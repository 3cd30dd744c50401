// A chat template (the text of tokenizer_config.json's "chat_template" or chat_template.jinja) parsed
// and rendered by the Jinja engine over a small conversation with tools: every outcome must be text
// or a typed error (jinja::TemplateError for syntax, unsupported features, limits, raise_exception).
#include <cstdint>
#include <string>

#include "fuzz_util.hpp"
#include "transformers/tokenizers/chat_template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace transformers;
  using json = nlohmann::ordered_json;
  static const json messages = json::parse(R"([{"role":"system","content":"Be brief."},
    {"role":"user","content":"Hi é 😀"},{"role":"assistant","content":null,"tool_calls":[{"id":"call00001","type":"function",
    "function":{"name":"f","arguments":{"x":1}}}]},{"role":"tool","tool_call_id":"call00001","content":"42"}])");
  static const json tools = json::parse(R"([{"type":"function","function":{"name":"f","description":"d",
    "parameters":{"type":"object","properties":{"x":{"type":"integer","description":"x"}},"required":["x"]}}}])");
  static const json special = {{"bos_token", "<s>"}, {"eos_token", "</s>"}};
  fuzz::expect_typed([&] {
    volatile size_t sink = render_chat_template(fuzz::as_view(data, size), messages,
                                                {.add_generation_prompt = true, .tools = tools}, special).size();
    (void)sink;
  });
  return 0;
}
