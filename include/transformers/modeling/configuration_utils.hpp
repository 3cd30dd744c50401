#pragma once
// PretrainedConfig: config.json as Hugging Face reads and writes it. All keys are kept in one JSON
// object (unknown keys survive a load/save round trip); typed access goes through get<T>(), which
// also resolves the model's attribute_map aliases ("n_embd" <-> "hidden_size" for GPT-2).
// Model-specific defaults (the __init__ defaults of configuration_<arch>.py) are registered per
// model_type by each models/<arch>/ folder, see register_config_class().
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "transformers/core/dtype.hpp"
#include "transformers/core/error.hpp"

namespace transformers {

using json = nlohmann::ordered_json;

// What a models/<arch>/configuration_<arch>.cpp registers for its model_type.
struct ConfigClassInfo {
  std::string model_type;          // "bert"
  std::string class_name;          // "BertConfig"
  json defaults;                   // model-specific keys with their __init__ defaults
  std::map<std::string, std::string> attribute_map;  // alias -> canonical key stored in JSON
};
void register_config_class(ConfigClassInfo info);
const ConfigClassInfo* find_config_class(const std::string& model_type);

struct ConfigLoadOptions {
  // keyword overrides applied after loading (Python's **kwargs to from_pretrained)
  json overrides = json::object();
  bool return_unused_kwargs = false;
  std::string revision = "main";
  std::string cache_dir;
  bool local_files_only = false;
  std::string token;
};

class PretrainedConfig {
 public:
  PretrainedConfig() : data_(json::object()) {}
  explicit PretrainedConfig(json data, std::string model_type = "");

  // Reads config.json from a folder, a file path, or (through the hub layer) a repo id.
  static std::shared_ptr<PretrainedConfig> from_pretrained(const std::string& path, const ConfigLoadOptions& opts = {});
  static std::shared_ptr<PretrainedConfig> from_dict(const json& dict, const json& overrides = json::object());
  static std::shared_ptr<PretrainedConfig> from_json_file(const std::string& file);
  // Writes config.json into `dir` (atomic: temporary file then rename), as 4.51 writes it.
  void save_pretrained(const std::string& dir) const;
  json to_dict() const;       // everything
  json to_diff_dict() const;  // what save_pretrained writes
  std::string to_json_string(bool use_diff = true) const;

  const std::string& model_type() const { return model_type_; }
  const ConfigClassInfo* class_info() const { return info_; }

  // Typed access; keys go through attribute_map. Throws FormatError naming the key on a wrong type.
  bool has(const std::string& key) const;
  template <typename T>
  T get(const std::string& key) const;  // throws KeyError when absent (and no default registered)
  template <typename T>
  T get(const std::string& key, const T& fallback) const {
    return has(key) && !raw_at(key).is_null() ? get<T>(key) : fallback;
  }
  void set(const std::string& key, json value);
  void erase(const std::string& key);
  const json& raw_at(const std::string& key) const;
  json& raw() { return data_; }
  const json& raw() const { return data_; }
  std::string canonical_key(const std::string& key) const;

  // ---- common attributes (PretrainedConfig.__init__) ----
  int64_t vocab_size() const { return get<int64_t>("vocab_size"); }
  int64_t hidden_size() const { return get<int64_t>("hidden_size"); }
  int64_t num_hidden_layers() const { return get<int64_t>("num_hidden_layers"); }
  int64_t num_attention_heads() const { return get<int64_t>("num_attention_heads"); }
  bool tie_word_embeddings() const { return get<bool>("tie_word_embeddings", true); }
  bool is_decoder() const { return get<bool>("is_decoder", false); }
  bool is_encoder_decoder() const { return get<bool>("is_encoder_decoder", false); }
  bool output_hidden_states() const { return get<bool>("output_hidden_states", false); }
  bool output_attentions() const { return get<bool>("output_attentions", false); }
  bool use_return_dict() const { return get<bool>("return_dict", true); }
  int64_t num_labels() const;
  std::map<int64_t, std::string> id2label() const;
  // {layer: [heads]} as config.pruned_heads stores it
  std::map<int64_t, std::vector<int64_t>> pruned_heads() const;
  void set_pruned_heads(const std::map<int64_t, std::vector<int64_t>>& heads);
  // torch_dtype (4.x) or dtype (5.x); nullopt when absent/null
  std::optional<DType> torch_dtype() const;
  std::vector<std::string> architectures() const;
  // "eager" | "sdpa" (config._attn_implementation); defaults to "sdpa" like 4.51 on CPU
  std::string attn_implementation() const { return get<std::string>("_attn_implementation", "sdpa"); }

 private:
  json data_;
  std::string model_type_;
  const ConfigClassInfo* info_ = nullptr;
};

template <typename T>
T PretrainedConfig::get(const std::string& key) const {
  const json& v = raw_at(key);
  try {
    return v.get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError("config key '" + canonical_key(key) + "': unexpected type (found " + v.dump() + ")");
  }
}

}  // namespace transformers
