#pragma once
// Placement of a model that does not fit (4.51's device_map / max_memory, computed with accelerate's
// rules): infer_auto_device_map, get_balanced_memory, get_max_memory, clean_device_map, the sizes
// accelerate counts (compute_module_sizes) and its tied-parameter groups (find_tied_parameters).
// This build has no GPU backend: the targets are "cpu" and "disk"; a GPU index in a map or in
// max_memory is an UnsupportedError.
//
//   auto map = get_device_map(*model, {.strategy = "auto"}, {{"cpu", "600MB"}}, DType::BFloat16);
//   // {"model.embed_tokens": "cpu", ..., "model.layers.9": "disk", "lm_head": "disk"}
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "transformers/core/dtype.hpp"

namespace transformers {

namespace nn {
class Module;
}
class PreTrainedModel;

// Module prefix -> device ("cpu" or "disk"), in the order accelerate assigns them ("" is the whole model).
using DeviceMap = std::vector<std::pair<std::string, std::string>>;

// A max_memory value: bytes, or a size as 4.51/accelerate write it ("600MB", "1GiB", "5Gb" = bits).
using MemorySize = std::variant<int64_t, std::string>;
using MaxMemory = std::vector<std::pair<std::string, MemorySize>>;  // device -> size ("cpu", "disk")

// from_pretrained's device_map argument: a strategy ("auto", "balanced", "balanced_low_0",
// "sequential"), one device for the whole model ("cpu", "disk"), or an explicit map.
struct DeviceMapArg {
  std::string strategy;
  DeviceMap map;  // used when strategy is empty
};

// accelerate's convert_file_size_to_int: "600MB" -> 600'000'000, "1GiB" -> 2^30, "8Kb" -> 1000;
// plain digits are bytes. ValueError naming the text otherwise.
int64_t convert_file_size_to_int(const std::string& size);
// --max-memory's text: "cpu=600MB,disk=10GB" (ValueError names the bad entry).
MaxMemory parse_max_memory(const std::string& text);
// A device map from JSON text ({"model.layers.0": "cpu", "lm_head": "disk"}); `where` names the source.
DeviceMap parse_device_map_json(const std::string& text, const std::string& where);

// accelerate's get_max_memory: sizes converted, devices in its order (cpu, disk); unset -> {"cpu":
// MemAvailable of /proc/meminfo} (psutil's virtual_memory().available). Unknown device names: ValueError;
// GPU indices: UnsupportedError.
std::vector<std::pair<std::string, int64_t>> get_max_memory(const std::optional<MaxMemory>& max_memory);

// accelerate's compute_module_sizes in bits (bool tensors count 1/8 byte there): every prefix of
// every parameter (tied ones once) and buffer name, "" for the whole model. With `dtype`, floating
// tensors count min(dtype, own dtype) bytes per element; integer and bool tensors keep theirs.
std::vector<std::pair<std::string, int64_t>> compute_module_sizes_bits(const nn::Module& model,
                                                                      std::optional<DType> dtype);
// accelerate's find_tied_parameters: groups (each sorted) of parameter names sharing one tensor.
std::vector<std::vector<std::string>> find_tied_parameters(const nn::Module& model);
// 4.51's PreTrainedModel._get_no_split_modules (Python class names); ValueError for a class without
// _no_split_modules (DistilBERT), as 4.51.
std::vector<std::string> get_no_split_modules(const PreTrainedModel& model, const std::string& strategy);

struct InferDeviceMapOptions {
  std::vector<std::pair<std::string, int64_t>> max_memory;  // from get_max_memory
  std::vector<std::string> no_split_module_classes;
  std::optional<DType> dtype;
  bool clean_result = true;
};
// accelerate's infer_auto_device_map for the devices cpu and disk (the cpu budget keeps room for the
// largest layer, what does not fit goes to disk).
DeviceMap infer_auto_device_map(const PreTrainedModel& model, const InferDeviceMapOptions& opts);
// accelerate's clean_device_map: prefixes whose entries share one device collapse into one entry.
DeviceMap clean_device_map(DeviceMap map);

// 4.51's _get_device_map: a strategy through get_balanced_memory / get_max_memory and
// infer_auto_device_map; a given map checked (check_device_map). `dtype` is the load dtype
// (nullopt: the tensors' own).
DeviceMap get_device_map(const PreTrainedModel& model, const DeviceMapArg& device_map,
                         const std::optional<MaxMemory>& max_memory, std::optional<DType> dtype);
// A given map: every device "cpu" or "disk" (a GPU index: UnsupportedError), every key a module,
// parameter or buffer of the model (ValueError naming the unknown ones), every parameter and buffer
// covered (ValueError naming what has no device, 4.51's "doesn't have any device set"), tied
// parameters on one device (ValueError naming the group).
void check_device_map(const nn::Module& model, const DeviceMap& map);
// The device of tensor `name` under `map` (its longest matching prefix); throws ValueError if none.
std::string device_of(const DeviceMap& map, const std::string& name);

}  // namespace transformers
