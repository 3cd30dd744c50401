// jinja::Template: parse once, render with a JSON context over the chat-template globals.
#include "transformers/tokenizers/jinja.hpp"

#include "tokenizers/jinja/ast.hpp"
#include "tokenizers/jinja/interpreter.hpp"

namespace transformers::jinja {

namespace {
std::string with_position(const std::string& message, std::size_t line, std::size_t column) {
  if (line == 0) return message;
  return message + " (template line " + std::to_string(line) + ", column " + std::to_string(column) + ")";
}
}  // namespace

TemplateError::TemplateError(std::string message, std::size_t line, std::size_t column)
    : Error(with_position(message, line, column)), message_(std::move(message)), line_(line), column_(column) {}

Template::Template(std::string_view source) : program_(detail::parse_template(source)) {}
Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

std::string Template::render(const nlohmann::ordered_json& context) const {
  if (!context.is_object()) throw TemplateError("the template context must be a JSON object, got " + std::string(context.type_name()));
  auto globals = std::make_shared<detail::Frame>();
  detail::add_globals(*globals);
  auto top = std::make_shared<detail::Frame>();
  top->parent = globals;
  for (auto it = context.begin(); it != context.end(); ++it) top->vars[it.key()] = detail::from_json(it.value());
  detail::Interpreter in;
  in.frame = top;
  std::string out;
  in.out = &out;
  in.exec_body(program_->body);
  return out;
}

}  // namespace transformers::jinja
