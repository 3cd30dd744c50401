#pragma once
// GenerationConfig: generation_config.json as transformers 4.51 reads and writes it. JSON-backed
// like PretrainedConfig: every key is kept, typed access goes through get<T>() with 4.51's
// GenerationConfig() defaults as fallback; save writes only what differs from those defaults.
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

class GenerationConfig {
 public:
  GenerationConfig() : data_(json::object()) {}
  explicit GenerationConfig(json data);

  // Reads generation_config.json from a folder (or a file path). FileNotFoundError naming the file.
  static std::shared_ptr<GenerationConfig> from_pretrained(const std::string& path,
                                                           const GenerationConfigLoadOptions& opts = {});
  static std::shared_ptr<GenerationConfig> from_dict(const json& dict, const json& overrides = json::object());
  // Python's GenerationConfig.from_model_config: the generation attributes of a model config
  // (token ids, legacy generation params), marked _from_model_config; return_dict_in_generate is
  // switched on when an output_* flag is.
  static std::shared_ptr<GenerationConfig> from_model_config(const PretrainedConfig& config);

  // Writes <dir>/<config_file_name> atomically, as 4.51 writes it.
  void save_pretrained(const std::string& dir, const std::string& config_file_name = "generation_config.json") const;
  json to_dict() const;
  json to_diff_dict() const;
  std::string to_json_string(bool use_diff = true) const;
  // Sets the keys of `kwargs` that are attributes; returns the others.
  json update(const json& kwargs);

  bool has(const std::string& key) const;
  template <typename T>
  T get(const std::string& key) const {
    const json& v = raw_at(key);
    if (!detail::float_fits<T>(v))
      throw FormatError("generation config key '" + key + "': " + v.dump() + " does not fit an integer");
    try {
      return v.get<T>();
    } catch (const nlohmann::json::exception&) {
      throw FormatError("generation config key '" + key + "': unexpected type (found " + v.dump() + ")");
    }
  }
  template <typename T>
  T get(const std::string& key, const T& fallback) const {
    return has(key) && !raw_at(key).is_null() ? get<T>(key) : fallback;
  }
  const json& raw_at(const std::string& key) const;  // KeyError when neither set nor a default
  void set(const std::string& key, json value) { data_[key] = std::move(value); }
  json& raw() { return data_; }
  const json& raw() const { return data_; }

  // eos_token_id as a list (an int becomes a one-element list; null -> empty).
  std::vector<int64_t> eos_token_ids() const;

 private:
  json data_;
};

}  // namespace transformers
