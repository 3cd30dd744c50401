// transformers-cli entry point: dispatches to one subcommand per file (see docs/CLI.md).
#include <cstdio>
#include <cstring>
#include <string>

#include "transformers/core/cpu_features.hpp"
#include "transformers/core/parallel.hpp"

int main(int argc, char** argv) {
  if (argc >= 2 && (!std::strcmp(argv[1], "--version") || !std::strcmp(argv[1], "version"))) {
    std::printf("transformers-cli %s (kernels: %s; cpu: %s; threads: %d)\n", TRANSFORMERS_VERSION,
                transformers::kernel_level_name(transformers::kernel_level()),
                transformers::cpu_features_string().c_str(), transformers::get_num_threads());
    return 0;
  }
  std::printf("usage: transformers-cli <command> [options]\n");
  return argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) ? 0 : 2;
}
