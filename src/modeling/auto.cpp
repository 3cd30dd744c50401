// Auto classes over the model registry.
#include "transformers/modeling/auto.hpp"

#include <mutex>

#include "modeling/gguf_load.hpp"

namespace transformers {

void register_all_models();  // models/register_all.cpp

void ensure_models_registered() { register_all_models(); }

std::shared_ptr<PretrainedConfig> AutoConfig::from_pretrained(const std::string& path, const ConfigLoadOptions& opts) {
  ensure_models_registered();
  const std::string file = PretrainedConfig::resolve_config_file(path, opts);
  auto cfg = PretrainedConfig::from_json_file(file);
  if (cfg->model_type().empty())
    throw ValueError("Unrecognized model in " + path + ". Should have a `model_type` key in its config.json");
  cfg->update_from_kwargs(opts.overrides);
  return cfg;
}

std::shared_ptr<PretrainedConfig> AutoConfig::for_model(const std::string& model_type, const json& kwargs) {
  ensure_models_registered();
  if (!find_config_class(model_type))
    throw ValueError("Unrecognized model identifier: " + model_type + " (no config class registered for it)");
  auto cfg = std::make_shared<PretrainedConfig>(json{{"model_type", model_type}});
  json unused = cfg->update_from_kwargs(kwargs);
  for (auto& [k, v] : unused.items())
    if (k != "torch_dtype") cfg->raw()[k] = v;  // Python's config __init__ keeps unknown kwargs
  return cfg;
}

const ModelClassInfo& resolve_auto_class(const std::string& auto_class, const PretrainedConfig& config) {
  ensure_models_registered();
  const ModelClassInfo* info = find_auto_model_class(auto_class, config.model_type());
  if (!info) {
    std::string known;
    for (auto& c : registered_model_classes()) {
      const ModelClassInfo* ci = find_model_class(c);
      if (ci && std::find(ci->auto_classes.begin(), ci->auto_classes.end(), auto_class) != ci->auto_classes.end())
        known += (known.empty() ? "" : ", ") + ci->model_type + " (" + ci->class_name + ")";
    }
    throw ValueError("Unrecognized configuration class for this kind of " + auto_class + ": model_type '" +
                     config.model_type() + "'. Model type should be one of: " + (known.empty() ? "<none registered>" : known));
  }
  return *info;
}

std::shared_ptr<PreTrainedModel> auto_from_pretrained(const std::string& auto_class, const std::string& path,
                                                      const FromPretrainedOptions& opts) {
  ensure_models_registered();
  if (!opts.gguf_file.empty()) return auto_from_pretrained(auto_class, path, detail::gguf_load_options(path, opts));
  std::shared_ptr<PretrainedConfig> cfg = opts.config;
  if (!cfg)
    cfg = PretrainedConfig::from_json_file(PretrainedConfig::resolve_config_file(
        opts.config_path.empty() ? path : opts.config_path, {.hub = opts.hub}));
  const ModelClassInfo& info = resolve_auto_class(auto_class, *cfg);
  return load_pretrained_model(info.factory, info.class_name, path, opts);
}

std::shared_ptr<PreTrainedModel> auto_from_config(const std::string& auto_class, std::shared_ptr<PretrainedConfig> config,
                                                  std::optional<uint64_t> seed) {
  if (!config) throw ValueError(auto_class + ".from_config: config is null");
  const ModelClassInfo& info = resolve_auto_class(auto_class, *config);
  return build_model_from_config(info.factory, config, seed);
}

std::shared_ptr<PreTrainedModel> from_pretrained_class(const std::string& class_name, const std::string& path,
                                                       const FromPretrainedOptions& opts) {
  ensure_models_registered();
  if (!opts.gguf_file.empty()) return from_pretrained_class(class_name, path, detail::gguf_load_options(path, opts));
  std::string name = class_name;
  if (name.empty()) {
    auto cfg = opts.config ? opts.config
                           : PretrainedConfig::from_json_file(PretrainedConfig::resolve_config_file(
                                 opts.config_path.empty() ? path : opts.config_path, {.hub = opts.hub}));
    const auto archs = cfg->architectures();
    if (archs.empty()) throw ValueError("config of " + path + " names no architectures; pass a model class name");
    name = archs.front();
  }
  const ModelClassInfo* info = find_model_class(name);
  if (!info) {
    std::string known;
    for (auto& c : registered_model_classes()) known += (known.empty() ? "" : ", ") + c;
    throw ValueError("Unknown model class '" + name + "'. Registered classes: " + (known.empty() ? "<none>" : known));
  }
  return load_pretrained_model(info->factory, info->class_name, path, opts);
}

}  // namespace transformers
