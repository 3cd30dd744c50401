// Chat templates render byte for byte as transformers 4.51.3's apply_chat_template(tokenize=False)
// (tests/oracle/make_chat_template_cases.py): every real template of tests/data/chat_templates/
// over every conversation, and the engine-level Jinja cases. Where 4.51 raises we raise too: the
// template's raise_exception as jinja::TemplateError with the same message, jinja2's UndefinedError
// as jinja::UndefinedError, ValueError as ValueError.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <typeinfo>

#include <unistd.h>

#include "transformers/core/error.hpp"
#include "transformers/tokenizers/auto_tokenizer.hpp"
#include "transformers/tokenizers/chat_template.hpp"
#include "transformers/tokenizers/jinja.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using namespace transformers;

const fs::path kData = fs::path(TRANSFORMERS_TEST_DATA_DIR) / "chat_templates";
const fs::path kFixtures = fs::path(TRANSFORMERS_FIXTURES_DIR) / "hf" / "tokenizers";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const json& cases() {
  static const json j = json::parse(read_file(kData / "cases.json"));
  return j;
}

// Checks that `render` raises what Python raised (`expected`: {"type", "message"}).
template <typename F>
void expect_same_error(const json& expected, F&& render, const std::string& label) {
  const std::string type = expected["type"].get<std::string>();
  const std::string message = expected["message"].get<std::string>();
  try {
    const std::string out = render();
    ADD_FAILURE() << label << ": 4.51 raises " << type << " (" << message << ") but we rendered:\n" << out;
  } catch (const jinja::TemplateError& e) {
    if (type == "TemplateError") {
      EXPECT_EQ(typeid(e), typeid(jinja::TemplateError)) << label << ": " << e.what();
      EXPECT_EQ(e.message(), message) << label;
    } else if (type == "UndefinedError") {
      EXPECT_NE(dynamic_cast<const jinja::UndefinedError*>(&e), nullptr) << label << ": " << e.what();
    } else {
      // Python's TypeError / AttributeError / ... inside the template: a render-time TemplateError.
      EXPECT_TRUE(type == "TypeError" || type == "AttributeError" || type == "KeyError" || type == "IndexError")
          << label << ": 4.51 raises " << type << ", we raised TemplateError: " << e.what();
    }
  } catch (const ValueError& e) {
    EXPECT_EQ(type, "ValueError") << label << ": " << e.what();
  } catch (const Error& e) {
    ADD_FAILURE() << label << ": unexpected error type for 4.51's " << type << ": " << e.what();
  }
}

TEST(ChatTemplates, RealTemplatesRenderAs451) {
  const json& c = cases();
  const json& special = c["special_tokens_map"];
  std::set<std::string> templates;
  int rendered = 0, raised = 0;
  for (const json& k : c["cases"]) {
    const std::string name = k["template"].get<std::string>();
    const std::string conv_name = k["conversation"].get<std::string>();
    templates.insert(name);
    const std::string text = read_file(kData / "templates" / (name + ".jinja"));
    const json& conv = c["conversations"][conv_name];
    ChatTemplateOptions o;
    o.add_generation_prompt = conv.value("add_generation_prompt", false);
    o.continue_final_message = conv.value("continue_final_message", false);
    if (conv.contains("tools")) o.tools = conv["tools"];
    if (conv.contains("documents")) o.documents = conv["documents"];
    o.template_kwargs = c["common_kwargs"];
    if (conv.contains("kwargs"))
      for (auto it = conv["kwargs"].begin(); it != conv["kwargs"].end(); ++it) o.template_kwargs[it.key()] = it.value();
    const std::string label = name + " x " + conv_name;
    auto render = [&] { return render_chat_template(text, conv["messages"], o, special); };
    if (k.contains("error")) {
      expect_same_error(k["error"], render, label);
      ++raised;
    } else {
      try {
        EXPECT_EQ(render(), k["output"].get<std::string>()) << label;
      } catch (const Error& e) {
        ADD_FAILURE() << label << ": " << e.what();
      }
      ++rendered;
    }
  }
  // 21 templates x 12 conversations (tests/oracle/make_chat_template_cases.py).
  EXPECT_EQ(templates.size(), 21u);
  EXPECT_EQ(rendered + raised, 252);
  EXPECT_EQ(raised, 46);
}

TEST(ChatTemplates, JinjaSemanticsAs451) {
  int n = 0;
  for (const json& k : cases()["jinja_cases"]) {
    const std::string label = k["name"].get<std::string>();
    auto render = [&] { return jinja::Template(k["template"].get<std::string>()).render(k["context"]); };
    if (k.contains("error")) {
      expect_same_error(k["error"], render, label);
    } else {
      try {
        EXPECT_EQ(render(), k["output"].get<std::string>()) << label;
      } catch (const Error& e) {
        ADD_FAILURE() << label << ": " << e.what();
      }
    }
    ++n;
  }
  EXPECT_EQ(n, 34);
}

// tokenizer.apply_chat_template: the tokenizer's special tokens reach the template, the text is
// tokenized without special tokens (tokenize=True, return_dict=True of 4.51).
TEST(ChatTemplates, TokenizerApplyChatTemplateAs451) {
  const json& c = cases();
  auto tok = AutoTokenizer::from_pretrained((kFixtures / c["tokenized_fixture"].get<std::string>()).string());
  int n = 0;
  for (const json& k : c["tokenized"]) {
    EXPECT_EQ(tok.special_tokens_map(), k["special_tokens_map"]);
    tok.chat_template = read_file(kData / "templates" / (k["template"].get<std::string>() + ".jinja"));
    const json& conv = c["conversations"][k["conversation"].get<std::string>()];
    ChatTemplateOptions o{.add_generation_prompt = conv.value("add_generation_prompt", false), .return_dict = true,
                          .template_kwargs = c["common_kwargs"]};
    if (conv.contains("tools")) o.tools = conv["tools"];
    const ChatTemplateOutput out = tok.apply_chat_template(conv["messages"], o);
    EXPECT_EQ(out.text, k["text"].get<std::string>());
    EXPECT_EQ(out.input_ids, k["input_ids"].get<std::vector<int64_t>>());
    EXPECT_EQ(out.attention_mask, k["attention_mask"].get<std::vector<int64_t>>());
    ++n;
  }
  EXPECT_EQ(n, 3);
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("tchat-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

// Template choice as 4.51's get_chat_template and from_pretrained: a list of named templates in
// tokenizer_config.json ("default", "tool_use" with tools, a name, or text passed through), and
// chat_template.jinja taking priority over the config's template.
TEST(ChatTemplates, TemplateChoiceAs451) {
  TempDir dir;
  fs::copy_file(kFixtures / "llama3_regex_bpe" / "tokenizer.json", dir.path / "tokenizer.json");
  json cfg = json::parse(read_file(kFixtures / "llama3_regex_bpe" / "tokenizer_config.json"));
  cfg["chat_template"] = json::array({{{"name", "default"}, {"template", "D{{ messages|length }}"}},
                                      {{"name", "tool_use"}, {"template", "T{{ tools|length }}"}},
                                      {{"name", "rag"}, {"template", "R{{ documents[0].title }}"}}});
  write_file(dir.path / "tokenizer_config.json", cfg.dump());
  auto tok = AutoTokenizer::from_pretrained(dir.path.string());
  EXPECT_FALSE(tok.chat_template);
  EXPECT_EQ(tok.chat_templates.size(), 3u);
  const json msgs = json::array({{{"role", "user"}, {"content", "hi"}}});
  EXPECT_EQ(tok.apply_chat_template(msgs, {.tokenize = false}).text, "D1");
  EXPECT_EQ(tok.apply_chat_template(msgs, {.tools = json::array({json::object()}), .tokenize = false}).text, "T1");
  EXPECT_EQ(tok.apply_chat_template(msgs, {.documents = json::array({{{"title", "P"}, {"text", "x"}}}), .chat_template = "rag",
                                           .tokenize = false}).text, "RP");
  EXPECT_EQ(tok.apply_chat_template(msgs, {.chat_template = "inline {{ bos_token }}", .tokenize = false}).text,
            "inline <|begin_of_text|>");
  // 4.51's checks.
  EXPECT_THROW(tok.apply_chat_template(msgs, {.tokenize = false, .return_dict = true}), ValueError);
  EXPECT_THROW(tok.apply_chat_template(msgs, {.add_generation_prompt = true, .continue_final_message = true}), ValueError);
  EXPECT_THROW(tok.apply_chat_template(msgs, {.tools = json::array({"not a dict"})}), ValueError);

  cfg["chat_template"] = json::array({{{"name", "a"}, {"template", "A"}}, {{"name", "b"}, {"template", "B"}}});
  write_file(dir.path / "tokenizer_config.json", cfg.dump());
  try {
    AutoTokenizer::from_pretrained(dir.path.string()).apply_chat_template(msgs);
    ADD_FAILURE() << "no default template: expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("['a', 'b']"), std::string::npos) << e.what();
  }

  cfg["chat_template"] = "from config";
  write_file(dir.path / "tokenizer_config.json", cfg.dump());
  EXPECT_EQ(AutoTokenizer::from_pretrained(dir.path.string()).apply_chat_template(msgs, {.tokenize = false}).text, "from config");
  write_file(dir.path / "chat_template.jinja", "from file\n");
  EXPECT_EQ(AutoTokenizer::from_pretrained(dir.path.string()).apply_chat_template(msgs, {.tokenize = false}).text, "from file");

  fs::remove(dir.path / "chat_template.jinja");
  cfg["chat_template"] = 42;
  write_file(dir.path / "tokenizer_config.json", cfg.dump());
  EXPECT_THROW(AutoTokenizer::from_pretrained(dir.path.string()), FormatError);
  cfg.erase("chat_template");
  write_file(dir.path / "tokenizer_config.json", cfg.dump());
  EXPECT_THROW(AutoTokenizer::from_pretrained(dir.path.string()).apply_chat_template(msgs), ValueError);
}

}  // namespace
