#pragma once
// PretrainedConfig: config.json as Hugging Face reads and writes it. All keys are kept in one JSON
// object (unknown keys survive a load/save round trip); typed access goes through get<T>(), which
// also resolves the model's attribute_map aliases ("n_embd" <-> "hidden_size" for GPT-2).
// Model-specific defaults (the __init__ defaults of configuration_<arch>.py) are registered per
// model_type by each models/<arch>/ folder, see register_config_class().
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "transformers/core/dtype.hpp"
#include "transformers/core/error.hpp"
#include "transformers/hub/options.hpp"

namespace transformers {

using json = nlohmann::ordered_json;

class PretrainedConfig;

// What a models/<arch>/configuration_<arch>.cpp registers for its model_type.
struct ConfigClassInfo {
  std::string model_type;          // "bert"
  std::string class_name;          // "BertConfig"
  json defaults;                   // model-specific keys with their __init__ defaults
  std::map<std::string, std::string> attribute_map;  // alias -> canonical key stored in JSON
  // What <Arch>Config.__init__ derives from the other arguments (Llama: head_dim from hidden_size /
  // num_attention_heads when None); runs once when a config of this type is constructed, so
  // to_dict / save write the derived values as 4.51 does. Empty when the class derives nothing.
  std::function<void(PretrainedConfig&)> derive_attributes;
  // The base model's parameter count these config sizes imply (exact, in double so absurd sizes
  // cannot overflow); from_pretrained compares it with the checkpoint before building anything.
  // Empty: no check for this model type.
  std::function<double(const PretrainedConfig&)> base_model_num_parameters;
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

// The version string written as "transformers_version": the Python release whose semantics this
// library follows, so Python's version checks see a familiar value.
inline constexpr const char* kTransformersCompatVersion = "4.51.3";

// PretrainedConfig().to_dict() of transformers 4.51 without "transformers_version": the base
// attributes and their defaults that to_diff_dict compares against.
const json& base_config_defaults();

// json.dumps(obj, indent=2, sort_keys=True) + "\n" as Python writes it (ASCII-escaped, keys sorted
// recursively). The top-level objects named in `int_key_fields` hold int keys in Python
// (id2label, pruned_heads), so they sort numerically ("2" before "10").
std::string python_json_dumps(const json& j, bool sort_keys = true,
                              const std::vector<std::string>& int_key_fields = {"id2label", "pruned_heads"});

class PretrainedConfig {
 public:
  PretrainedConfig() : data_(json::object()) {}
  explicit PretrainedConfig(json data, std::string model_type = "");

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
  void save_pretrained(const std::string& dir) const;
  void to_json_file(const std::string& file, bool use_diff = true) const;
  json to_dict() const;       // everything (base defaults, class defaults, loaded keys)
  json to_diff_dict() const;  // what save_pretrained writes
  std::string to_json_string(bool use_diff = true) const;
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
  // Sets "torch_dtype" (the 4.51 key; a 5.x "dtype" key is left as loaded, as 4.51 leaves it).
  void set_torch_dtype(std::optional<DType> dt);
  // rope_theta: the 4.x top-level key, else rope_parameters.rope_theta (5.x), else the class default.
  std::optional<double> rope_theta() const;
  // rope_scaling: the 4.x key, else rope_parameters when its rope_type is not "default" (5.x).
  json rope_scaling() const;
  std::vector<std::string> architectures() const;
  // "eager" | "sdpa" (config._attn_implementation); defaults to "sdpa" like 4.51 on CPU
  std::string attn_implementation() const { return get<std::string>("_attn_implementation", "sdpa"); }

 private:
  json data_;
  std::string model_type_;
  const ConfigClassInfo* info_ = nullptr;
};

namespace detail {
// nlohmann's get<integer>() of a JSON float outside the integer's range is undefined behaviour (a
// config with "vocab_size": 1e100 gave garbage sizes); such values are refused here.
template <typename T>
bool float_fits(const json& v) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (v.is_number_float()) {
      // [lo, hi) with hi = 2^63 (signed) or 2^64 (unsigned), both exact doubles; NaN fails both.
      constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
      constexpr double hi = std::is_signed_v<T> ? -lo : 2.0 * (static_cast<double>(std::numeric_limits<T>::max() / 2) + 1.0);
      const double d = v.get<double>();
      return d >= lo && d < hi;
    }
  }
  return true;
}
}  // namespace detail

template <typename T>
T PretrainedConfig::get(const std::string& key) const {
  const json& v = raw_at(key);
  if (!detail::float_fits<T>(v))
    throw FormatError("config key '" + canonical_key(key) + "': " + v.dump() + " does not fit an integer");
  try {
    return v.get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError("config key '" + canonical_key(key) + "': unexpected type (found " + v.dump() + ")");
  }
}

}  // namespace transformers
