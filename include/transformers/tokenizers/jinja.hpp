#pragma once
// A Jinja2 subset engine for chat templates, rendering as transformers 4.51 renders them
// (`_compile_jinja_template`: jinja2's ImmutableSandboxedEnvironment with trim_blocks=True,
// lstrip_blocks=True, the loopcontrols extension, the `{% generation %}` tag, `tojson` as
// json.dumps(ensure_ascii=False, ...), and the globals `raise_exception` and `strftime_now`).
//
//   transformers::jinja::Template t("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}");
//   std::string text = t.render({{"messages", messages_json}});
//
// Values come in as JSON (null -> None). What the engine does not implement is refused with a
// TemplateSyntaxError (at parse time) or a TemplateError (at render time) naming the template line
// and column: a template is never rendered differently from Python without an error.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "transformers/core/error.hpp"

namespace transformers::jinja {

// jinja2.exceptions.TemplateError: raise_exception(message), type errors, anything that fails at
// render time. `message()` is the text Python's exception carries; what() adds the position.
class TemplateError : public Error {
 public:
  TemplateError(std::string message, std::size_t line = 0, std::size_t column = 0);
  const std::string& message() const { return message_; }
  std::size_t line() const { return line_; }      // 1-based; 0 when unknown
  std::size_t column() const { return column_; }  // 1-based; 0 when unknown

 private:
  std::string message_;
  std::size_t line_, column_;
};
// The template text is not valid Jinja, or uses syntax this engine does not implement.
class TemplateSyntaxError : public TemplateError { using TemplateError::TemplateError; };
// An undefined value used where Jinja's default Undefined raises (attribute of it, arithmetic, ...).
class UndefinedError : public TemplateError { using TemplateError::TemplateError; };
// Something the sandbox or this engine refuses at render time (a mutating method, an unknown
// filter or test, an unimplemented feature).
class UnsupportedTemplateError : public TemplateError { using TemplateError::TemplateError; };

namespace detail {
struct Program;
}

class Template {
 public:
  // Parses `source` (throws TemplateSyntaxError with line/column).
  explicit Template(std::string_view source);
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  // Renders with the top-level variables of `context` (a JSON object).
  std::string render(const nlohmann::ordered_json& context) const;

 private:
  std::shared_ptr<const detail::Program> program_;
};

}  // namespace transformers::jinja
