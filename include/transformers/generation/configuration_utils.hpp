#pragma once
// GenerationConfig: generation_config.json as transformers 4.51 reads and writes it. A JsonConfig
// like PretrainedConfig (modeling/json_config.hpp): every key is kept, typed access goes through
// get<T>() with 4.51's GenerationConfig() defaults as fallback; save writes only what differs from
// those defaults.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transformers/modeling/configuration_utils.hpp"

namespace transformers {

// GenerationConfig().to_dict() of 4.51 without "transformers_version".
const json& generation_config_defaults();

struct GenerationConfigLoadOptions {
  std::string config_file_name = "generation_config.json";
  json overrides = json::object();  // keyword arguments applied after loading
  ::transformers::hub::HubOptions hub;  // where from: revision, token, cache_dir, local_files_only, proxies, subfolder, ...
};

class GenerationConfig : public JsonConfig {
 public:
  GenerationConfig();
  explicit GenerationConfig(json data);
  GenerationConfig(const GenerationConfig&) = default;
  GenerationConfig& operator=(const GenerationConfig&) = default;

  // Reads generation_config.json from a folder (or a file path). FileNotFoundError naming the file.
  static std::shared_ptr<GenerationConfig> from_pretrained(const std::string& path,
                                                           const GenerationConfigLoadOptions& opts = {});
  static std::shared_ptr<GenerationConfig> from_dict(const json& dict, const json& overrides = json::object());
  // Python's GenerationConfig.from_model_config: the generation attributes of a model config
  // (token ids, legacy generation params), marked _from_model_config; return_dict_in_generate is
  // switched on when an output_* flag is.
  static std::shared_ptr<GenerationConfig> from_model_config(const PretrainedConfig& config);

  // Writes <dir>/<config_file_name> atomically, as 4.51 writes it.
  void save_pretrained(const std::string& dir, const std::string& config_file_name = "generation_config.json") const {
    save_into(dir, config_file_name);
  }
  // Sets the keys of `kwargs` that are attributes; returns the others.
  json update(const json& kwargs);
  void set(const std::string& key, json value) { data_[key] = std::move(value); }

  // eos_token_id as a list (an int becomes a one-element list; null -> empty).
  std::vector<int64_t> eos_token_ids() const;
};

}  // namespace transformers
