// transformers-cli inspect: what a checkpoint folder, file or Hub repo holds (docs/CLI.md). For a folder the
// counts are those num_parameters() / get_memory_footprint() give for the class in
// config.architectures, loaded as from_pretrained loads it by default (float32 in 4.51).
#include <filesystem>
#include <iostream>

#include "model_options.hpp"
#include "transformers/io/checkpoint.hpp"

namespace transformers::cli {
namespace {

namespace fs = std::filesystem;

json tensor_table(const io::NamedTensors& tensors) {
  json t = json::object();
  for (auto& [name, x] : tensors) t[name] = {{"dtype", dtype_safetensors_name(x.dtype())}, {"shape", x.sizes()}};
  return t;
}

json inspect_file(const std::string& path) {
  auto reader = io::open_checkpoint_file(path);
  json tensors = json::object();
  for (auto& name : reader->keys()) {
    io::TensorEntry e = reader->entry(name);
    tensors[name] = {{"dtype", e.dtype ? std::string(dtype_safetensors_name(*e.dtype)) : e.dtype_name}, {"shape", e.shape}};
  }
  return {{"path", path}, {"format", reader->format()}, {"tensors", tensors}};
}

json device_map_json(const DeviceMap& m);

// A folder or a Hub repo id (org/name[@revision], through the cache shared with Python): config,
// counts and tensors as from_pretrained reads them; "files" lists the folder (for a repo id, the
// cached snapshot of the revision, which holds at least the config and the weights read).
json inspect_model(const Source& src, const BigModelArgs& big) {
  const std::string& path = src.path;
  const std::string config_file = PretrainedConfig::resolve_config_file(path, {.hub = src.hub});
  auto config = AutoConfig::from_pretrained(path, {.hub = src.hub});
  FromPretrainedOptions fo;
  fo.hub = src.hub;
  big.apply(fo);
  const ResolvedCheckpoint rc = resolve_checkpoint_files(path, fo);
  io::Checkpoint ck = io::open_checkpoint(rc.index_file.empty() ? rc.files.at(0) : rc.index_file);
  auto archs = config->architectures();
  auto model = from_pretrained_class(archs.empty() ? "" : archs[0], path, fo);
  std::optional<DeviceMap> placed = model->hf_device_map();
  std::string dtype = "float32";
  if (auto d = config->torch_dtype()) dtype = std::string(dtype_name(*d));
  else
    for (auto& [n, t] : ck.tensors)
      if (t.is_floating_point()) {
        dtype = std::string(dtype_name(t.dtype()));
        break;
      }
  json files = json::array();
  std::vector<std::string> names;
  for (auto& entry : fs::directory_iterator(fs::path(config_file).parent_path()))
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  for (auto& n : names) files.push_back(n);
  json out = {{"path", path},
          {"format", ck.format},
          {"model_type", config->model_type()},
          {"architectures", archs},
          {"config", config->to_dict()},
          {"dtype", dtype},
          {"num_parameters", model->num_parameters()},
          {"num_parameters_trainable", model->num_parameters(true)},
          {"num_parameters_no_embeddings", model->num_parameters(false, true)},
          {"memory_footprint", model->get_memory_footprint(true)},
          {"memory_footprint_no_buffers", model->get_memory_footprint(false)},
          {"files", files},
          {"tensors", tensor_table(ck.tensors)}};
  if (placed) out["device_map"] = device_map_json(*placed);
  return out;
}

// model.hf_device_map as Python prints it (a JSON object in placement order).
json device_map_json(const DeviceMap& m) {
  json j = json::object();
  for (auto& [k, v] : m) j[k] = v;
  return j;
}

REGISTER_COMMAND("inspect", "what a checkpoint folder or file holds: config, counts, files, tensors",
                 [](CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto revision = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  app.add_option("path", *path, "model folder, checkpoint file or Hub repo id org/name[@revision]")->required();
  app.add_option("--revision", *revision, "Hub branch, tag, commit or refs/pr/N of a repo id PATH");
  app.add_flag("--json", *as_json, "print one JSON document");
  auto big = std::make_shared<BigModelArgs>();
  big->add_to(app, /*with_tp=*/false);  // --device-map ...: the map from_pretrained computes ("device_map")
  return [=] {
    const Source src = parse_source(*path, *revision);
    std::error_code ec;
    // Anything on disk that is no folder is read as a checkpoint file (whose reader refuses FIFOs
    // and devices with a typed error); a folder or a repo id as a model.
    const bool file = fs::exists(src.path, ec) && !fs::is_directory(src.path, ec);
    if (file && !big->device_map.empty())
      throw CLI::ValidationError("--device-map", "needs a model folder or repo id, not a single checkpoint file");
    json j = file ? inspect_file(src.path) : inspect_model(src, *big);
    if (*as_json) {
      print_json(j);
      return 0;
    }
    std::cout << "path: " << j["path"].get<std::string>() << "\nformat: " << j["format"].get<std::string>() << "\n";
    if (j.contains("model_type")) {
      std::cout << "model_type: " << j["model_type"].get<std::string>() << "\narchitectures: " << j["architectures"].dump()
                << "\ndtype: " << j["dtype"].get<std::string>() << "\nnum_parameters: " << j["num_parameters"]
                << "\nmemory_footprint: " << j["memory_footprint"] << " bytes\n";
    }
    if (j.contains("device_map")) {
      std::cout << "device_map:\n";
      for (auto& [k, v] : j["device_map"].items()) std::cout << "  " << (k.empty() ? "\"\"" : k) << ": " << v.get<std::string>() << "\n";
    }
    std::cout << "tensors (" << j["tensors"].size() << "):\n";
    for (auto& [name, t] : j["tensors"].items())
      std::cout << "  " << name << "  " << t["dtype"].get<std::string>() << " " << t["shape"].dump() << "\n";
    return 0;
  };
});

}  // namespace
}  // namespace transformers::cli
