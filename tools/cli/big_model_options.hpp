#pragma once
// Options of the commands that load a model for models bigger than the memory given them (issue 26):
// --device-map, --max-memory, --offload-folder, --low-cpu-mem-usage (from_pretrained's keywords) and
// --tp-plan auto (tensor parallelism over the MPI ranks of `mpirun -np N transformers-cli ...`).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli_common.hpp"
#include "transformers/distributed/tensor_parallel.hpp"
#include "transformers/io/json_file.hpp"
#include "transformers/modeling/device_map.hpp"

namespace transformers::cli {

struct BigModelArgs {
  std::string device_map;  // auto | balanced | balanced_low_0 | sequential | cpu | disk | FILE.json
  std::string max_memory;  // cpu=600MB[,disk=...]
  std::string offload_folder;
  bool low_cpu_mem_usage = false;
  std::string tp_plan;  // "auto"

  void add_to(CLI::App& app, bool with_tp = true) {
    app.add_option("--device-map", device_map,
                   "auto, balanced, balanced_low_0, sequential, cpu, disk, or a JSON file {module: \"cpu\"|\"disk\"}");
    app.add_option("--max-memory", max_memory, "memory per device for --device-map, e.g. cpu=600MB or cpu=1GiB,disk=20GB");
    app.add_option("--offload-folder", offload_folder, "folder for weights --device-map sends to disk");
    app.add_flag("--low-cpu-mem-usage", low_cpu_mem_usage, "load tensor by tensor (from_pretrained's low_cpu_mem_usage)");
    if (with_tp)
      app.add_option("--tp-plan", tp_plan, "tensor parallelism over the MPI ranks (run under mpirun -np N): auto")
        ->check(CLI::IsMember({"auto"}));
  }

  void apply(FromPretrainedOptions& o) const {
    if (!device_map.empty()) {
      std::error_code ec;
      if (device_map.size() > 5 && device_map.compare(device_map.size() - 5, 5, ".json") == 0) {
        const std::string text = io::read_regular_file(device_map, io::kMiB, "device map");
        o.device_map = DeviceMapArg{.map = parse_device_map_json(text, device_map)};
      } else {
        o.device_map = DeviceMapArg{.strategy = device_map};
      }
    }
    if (!max_memory.empty()) {
      if (device_map.empty()) throw CLI::ValidationError("--max-memory", "needs --device-map");
      o.max_memory = parse_max_memory(max_memory);
    }
    o.offload_folder = offload_folder;
    if (low_cpu_mem_usage) o.low_cpu_mem_usage = true;
  }

  // Shards the loaded model over the MPI ranks (--tp-plan); ranks other than 0 then print nothing.
  void after_load(PreTrainedModel& model) const {
    if (tp_plan.empty()) return;
    auto comm = distributed::mpi_world();
    distributed::tensor_parallel(model, comm, tp_plan);
    if (comm->rank() != 0) {
      std::fflush(stdout);
      if (!std::freopen("/dev/null", "w", stdout)) throw EnvironmentError("cannot silence stdout of rank > 0");
    }
  }
  // Whether this process writes the command's output files (rank 0, or no tensor parallelism).
  bool output_rank() const { return tp_plan.empty() || distributed::mpi_world()->rank() == 0; }
};

}  // namespace transformers::cli
