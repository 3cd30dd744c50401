#pragma once
// PretrainedConfig: config.json as Hugging Face reads and writes it. A JsonConfig (json_config.hpp:
// all keys kept, typed get<T>() with errors naming file and key, 4.51's to_dict / to_diff_dict)
// whose keys also resolve the model's attribute_map aliases ("n_embd" <-> "hidden_size" for GPT-2).
// Model-specific defaults (the __init__ defaults of configuration_<arch>.py) are registered per
// model_type by each models/<arch>/ folder, see register_config_class().
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transformers/core/dtype.hpp"
#include "transformers/core/error.hpp"
#include "transformers/hub/options.hpp"
#include "transformers/modeling/json_config.hpp"

namespace transformers {

class PretrainedConfig;

// What a models/<arch>/configuration_<arch>.cpp registers for its model_type.
struct ConfigClassInfo {
  std::string model_type = {};     // "bert"
  std::string class_name = {};     // "BertConfig"
  json defaults = json::object();  // model-specific keys with their __init__ defaults
  std::map<std::string, std::string> attribute_map = {};  // alias -> canonical key stored in JSON
  // What <Arch>Config.__init__ derives from the other arguments (Llama: head_dim from hidden_size /
  // num_attention_heads when None); runs once when a config of this type is constructed, so
  // to_dict / save write the derived values as 4.51 does. Empty when the class derives nothing.
  std::function<void(PretrainedConfig&)> derive_attributes = {};
  // The base model's parameter count these config sizes imply (exact, in double so absurd sizes
  // cannot overflow); from_pretrained compares it with the checkpoint before building anything.
  // Empty: no check for this model type.
  std::function<double(const PretrainedConfig&)> base_model_num_parameters = {};
};
void register_config_class(ConfigClassInfo info);
const ConfigClassInfo* find_config_class(const std::string& model_type);
// The model types with a registered config class, sorted.
std::vector<std::string> registered_config_types();

struct ConfigLoadOptions {
  // keyword overrides applied after loading (Python's **kwargs to from_pretrained)
  json overrides = json::object();
  // Python's return_unused_kwargs: use from_pretrained_with_unused() to receive them; with plain
  // from_pretrained unused keys are dropped, as Python drops them when this is false.
  bool return_unused_kwargs = false;
  ::transformers::hub::HubOptions hub;  // where from: revision, token, cache_dir, local_files_only, proxies, subfolder, ...
};

// PretrainedConfig().to_dict() of transformers 4.51 without "transformers_version": the base
// attributes and their defaults that to_diff_dict compares against.
const json& base_config_defaults();
// PretrainedConfig._get_global_generation_defaults() of 4.51: the generation parameters a model
// config carries (part of base_config_defaults(), and GenerationConfig()'s defaults for them).
const json& global_generation_defaults();

class PretrainedConfig : public JsonConfig {
 public:
  PretrainedConfig();
  explicit PretrainedConfig(json data, std::string model_type = "");
  PretrainedConfig(const PretrainedConfig&) = default;
  PretrainedConfig& operator=(const PretrainedConfig&) = default;

  // Reads config.json from a folder, a file path, or (through the hub layer) a repo id.
  static std::shared_ptr<PretrainedConfig> from_pretrained(const std::string& path, const ConfigLoadOptions& opts = {});
  // Python's return_unused_kwargs=True: the config and the overrides that are no attribute of it
  // ("torch_dtype" is applied and still reported unused, as 4.51 does).
  static std::pair<std::shared_ptr<PretrainedConfig>, json> from_pretrained_with_unused(
      const std::string& path, const ConfigLoadOptions& opts = {});
  static std::shared_ptr<PretrainedConfig> from_dict(const json& dict, const json& overrides = json::object());
  static std::pair<std::shared_ptr<PretrainedConfig>, json> from_dict_with_unused(const json& dict,
                                                                                   const json& overrides);
  static std::shared_ptr<PretrainedConfig> from_json_file(const std::string& file);
  // The config.json a from_pretrained(path) would read (folder/subfolder/config.json, a file path
  // as is, or a Hub repo id through the hub layer). FileNotFoundError names what was looked for.
  static std::string resolve_config_file(const std::string& path, const ConfigLoadOptions& opts = {});
  // Writes config.json into `dir` (atomic: temporary file then rename), as 4.51 writes it.
  // ValueError when `dir` is an existing file (Python asserts).
  void save_pretrained(const std::string& dir) const { save_into(dir, "config.json"); }
  // Applies keyword overrides the way from_dict does: attributes are set (alias-aware), the rest
  // returned. "num_labels" regenerates id2label/label2id when the count changes.
  json update_from_kwargs(const json& kwargs);
  // Python's config.num_labels = n: rebuilds id2label/label2id only when the length differs.
  void set_num_labels(int64_t n);
  std::map<std::string, int64_t> label2id() const;
  // Whether `key` is an attribute Python's hasattr(config, key) would find.
  bool has_attribute(const std::string& key) const;
  // _name_or_path (set by from_pretrained; never written by save_pretrained).
  std::string name_or_path() const { return get<std::string>("_name_or_path", ""); }
  // A deep copy (Python's copy.deepcopy(config)).
  std::shared_ptr<PretrainedConfig> clone() const { return std::make_shared<PretrainedConfig>(*this); }

  const std::string& model_type() const { return model_type_; }
  const ConfigClassInfo* class_info() const { return info_; }

  // Typed access is JsonConfig's has / get<T> / raw_at; keys go through attribute_map. Setting
  // follows Python's setattr: num_labels rebuilds the label maps, torch_dtype is validated.
  void set(const std::string& key, json value);
  void erase(const std::string& key);
  std::string canonical_key(const std::string& key) const override;

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
  // Sets "torch_dtype" (the 4.51 key; a 5.x "dtype" key is left as loaded, as 4.51 leaves it).
  void set_torch_dtype(std::optional<DType> dt);
  // rope_theta: the 4.x top-level key, else rope_parameters.rope_theta (5.x), else the class default.
  std::optional<double> rope_theta() const;
  // rope_scaling: the 4.x key, else rope_parameters when its rope_type is not "default" (5.x).
  json rope_scaling() const;
  std::vector<std::string> architectures() const;
  // "eager" | "sdpa" (config._attn_implementation); defaults to "sdpa" like 4.51 on CPU
  std::string attn_implementation() const { return get<std::string>("_attn_implementation", "sdpa"); }

 protected:
  // torch_dtype also finds a 5.x file's "dtype"; <Arch>Config's defaults lie over the base ones.
  const json* lookup(const std::string& key) const override;
  const json* class_defaults() const override { return info_ ? &info_->defaults : nullptr; }
  void add_dict_attributes(json& dict) const override { dict["model_type"] = model_type_; }

 private:
  std::string model_type_;
  const ConfigClassInfo* info_ = nullptr;
};

}  // namespace transformers
