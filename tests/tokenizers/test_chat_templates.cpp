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

#include "transformers/core/error.hpp"
#include "transformers/tokenizers/chat_template.hpp"
#include "transformers/tokenizers/jinja.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using namespace transformers;

const fs::path kData = fs::path(TRANSFORMERS_TEST_DATA_DIR) / "chat_templates";

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
  // 18 templates x 12 conversations (tests/oracle/make_chat_template_cases.py).
  EXPECT_EQ(templates.size(), 18u);
  EXPECT_EQ(rendered + raised, 216);
  EXPECT_EQ(raised, 36);
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

}  // namespace
