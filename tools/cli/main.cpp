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
#include "stderr_hold.hpp"
#include "transformers/core/autograd.hpp"
#include "transformers/core/cpu_features.hpp"
#include "transformers/core/error.hpp"
#include "transformers/core/parallel.hpp"
#include "transformers/core/quote.hpp"

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

// The one `error: ` line: messages quote input (file bytes, keys, argv), so the whole text is made
// one line of valid UTF-8 without control characters and of bounded length (core/quote.hpp).
int error_line(const std::string& msg, int status) {
  std::fprintf(stderr, "error: %s\n", one_line(msg).c_str());
  return status;
}
int error_exit(const std::string& msg) { return error_line(msg, 1); }
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
      error_line(e.what(), 2);
      std::fprintf(stderr, "Run 'transformers-cli %s --help' for usage.\n", cmd.name.c_str());
      return 2;
    }
    // Warnings printed before a failure would make its stderr more than the one error line.
    cli::StderrHold hold;
    // Every command but train (which turns recording on for its loop) is inference or file work:
    // nothing is recorded for autograd (torch.no_grad).
    autograd::NoGradGuard no_grad;
    try {
      const int status = run();
      hold.release(true);
      return status;
    } catch (const CLI::ParseError& e) {
      hold.release(false);
      return error_line(e.what(), 2);
    } catch (const Error& e) {
      hold.release(false);
      return error_exit(e.what());
    } catch (const std::bad_alloc&) {
      hold.release(false);
      return error_exit("out of memory");
    } catch (const std::exception& e) {
      hold.release(false);
      return error_exit(e.what());
    }
  }
  error_line("unknown command " + quote_input(first), 2);
  print_usage(stderr);
  return 2;
}
