// transformers-cli entry point: dispatches to one subcommand per file (docs/CLI.md). Exit status:
// 0 success, 1 an error about the input or the environment (one `error: ` line on stderr), 2 a
// usage error. Exceptions never escape as a crash.
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "transformers/core/cpu_features.hpp"
#include "transformers/core/error.hpp"
#include "transformers/core/logging.hpp"
#include "transformers/core/parallel.hpp"

using namespace transformers;

namespace {
void print_usage(std::FILE* out) {
  std::fprintf(out,
               "transformers-cli %s: Hugging Face checkpoints in C++\n\n"
               "usage: transformers-cli <command> [options]   (transformers-cli <command> --help)\n\n"
               "commands:\n",
               TRANSFORMERS_VERSION);
  for (auto& c : cli::commands()) std::fprintf(out, "  %-10s %s\n", c.name.c_str(), c.summary.c_str());
  std::fprintf(out, "\n  --version  print the version, kernels and CPU features\n  --help     this text\n");
}

// Holds the library's log records (warnings about loading, ...) while a command runs; release()
// writes them to stderr as the library's default handler would. Dropped when the command fails.
class HeldLogRecords {
 public:
  HeldLogRecords() {
    logging::disable_default_handler();
    id_ = logging::add_handler([this](const logging::LogRecord& r) { messages_.push_back(r.message); });
  }
  ~HeldLogRecords() { logging::remove_handler(id_); }
  void release() {
    logging::remove_handler(id_);
    for (auto& m : messages_) std::fprintf(stderr, "%s\n", m.c_str());
    messages_.clear();
    logging::enable_default_handler();
  }

 private:
  int id_ = 0;
  std::vector<std::string> messages_;
};

int error_exit(const std::string& msg) {
  std::fprintf(stderr, "error: %s\n", msg.c_str());
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  const std::string first = argv[1];
  if (first == "--version" || first == "-V") {
    std::printf("transformers-cli %s (kernels: %s; cpu: %s; threads: %d)\n", TRANSFORMERS_VERSION,
                kernel_level_name(kernel_level()), cpu_features_string().c_str(), get_num_threads());
    return 0;
  }
  if (first == "--help" || first == "-h" || first == "help") {
    print_usage(stdout);
    return 0;
  }
  for (auto& cmd : cli::commands()) {
    if (cmd.name != first) continue;
    CLI::App app(cmd.summary, "transformers-cli " + cmd.name);
    std::function<int()> run;
    try {
      run = cmd.setup(app);
      app.parse(argc - 1, argv + 1);
    } catch (const CLI::CallForHelp& e) {
      return app.exit(e);  // prints help, status 0
    } catch (const CLI::ParseError& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      std::fprintf(stderr, "Run 'transformers-cli %s --help' for usage.\n", cmd.name.c_str());
      return 2;
    }
    // Log records wait until the command has succeeded: an error must be the only line on stderr.
    HeldLogRecords held;
    try {
      const int status = run();
      held.release();
      return status;
    } catch (const CLI::ParseError& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return 2;
    } catch (const Error& e) {
      return error_exit(e.what());
    } catch (const std::bad_alloc&) {
      return error_exit("out of memory");
    } catch (const std::exception& e) {
      return error_exit(e.what());
    }
  }
  std::fprintf(stderr, "error: unknown command '%s'\n", first.c_str());
  print_usage(stderr);
  return 2;
}
