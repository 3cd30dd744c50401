#pragma once
// Shared pieces of transformers-cli: the command registry, the error -> exit status rule of
// docs/CLI.md (0 ok, 1 input/environment error with one `error: ` line, 2 usage error), IDS parsing,
// JSON printing and a stderr progress bar shown only on a TTY.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "transformers/core/tensor.hpp"

namespace transformers::cli {

using json = nlohmann::ordered_json;

struct Command {
  std::string name;
  std::string summary;
  // Adds the command's options to `app` and returns the function that runs it after parsing.
  std::function<std::function<int()>(CLI::App& app)> setup;
};

std::vector<Command>& commands();
struct RegisterCommand {
  RegisterCommand(std::string name, std::string summary, std::function<std::function<int()>(CLI::App&)> setup);
};

// Parses "0,0,5,6;1,2,3,4" into an int64 tensor [rows, cols]; rows must have equal length.
Tensor parse_ids(const std::string& text, const std::string& what = "IDS");
// Parses a dtype name of the CLI contract: auto, float32, float16, bfloat16 ("auto" -> nullopt).
std::optional<DType> parse_dtype_option(const std::string& name);

// Prints a JSON document on stdout (one line, then a newline).
void print_json(const json& j);

bool stderr_is_tty();

// "[#####     ] 3/10 label" on stderr, redrawn in place; silent when stderr is not a TTY.
class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total);
  void update(int64_t done);
  void finish();
  ~ProgressBar();

 private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  bool finished_ = false;
};

// Applies --threads when given (> 0).
void apply_threads(int threads);

// --output of a command that saves a model folder: EnvironmentError when it names anything but a
// folder or a new name (checked before the model is loaded).
void check_output_folder(const std::string& output);

}  // namespace transformers::cli

#define TRANSFORMERS_CLI_CONCAT2(a, b) a##b
#define TRANSFORMERS_CLI_CONCAT(a, b) TRANSFORMERS_CLI_CONCAT2(a, b)
// REGISTER_COMMAND("inspect", "summary", [](CLI::App& app) { ...; return [=] { ...; return 0; }; });
#define REGISTER_COMMAND(name, summary, ...) \
  static ::transformers::cli::RegisterCommand TRANSFORMERS_CLI_CONCAT(register_command_, __LINE__)(name, summary, __VA_ARGS__)
