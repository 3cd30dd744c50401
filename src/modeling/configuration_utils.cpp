#include "transformers/core/quote.hpp"
#include "transformers/modeling/configuration_utils.hpp"
#include "transformers/modeling/config_limits.hpp"

#include <filesystem>
#include <mutex>

#include "transformers/hub/hub.hpp"
#include "transformers/io/json_file.hpp"

namespace transformers {

namespace {
std::map<std::string, ConfigClassInfo>& config_registry() {
  static std::map<std::string, ConfigClassInfo> r;
  return r;
}
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

void register_config_class(ConfigClassInfo info) {
  std::lock_guard<std::mutex> lk(registry_mutex());
  auto key = info.model_type;
  config_registry()[key] = std::move(info);
}

const ConfigClassInfo* find_config_class(const std::string& model_type) {
  std::lock_guard<std::mutex> lk(registry_mutex());
  auto it = config_registry().find(model_type);
  return it == config_registry().end() ? nullptr : &it->second;
}

std::vector<std::string> registered_config_types() {
  std::lock_guard<std::mutex> lk(registry_mutex());
  std::vector<std::string> out;
  for (auto& [type, info] : config_registry()) out.push_back(type);
  return out;
}

namespace {
// config.json: PretrainedConfig's attributes as defaults; private state never written; the label
// and pruned-head maps hold int keys in Python.
const JsonConfigKind& config_kind() {
  static const JsonConfigKind kind{
      .what = "config",
      .defaults = base_config_defaults,
      .dropped_from_dict = {"_auto_class", "_commit_hash", "_attn_implementation_internal", "_attn_implementation",
                            "base_model_tp_plan", "base_model_pp_plan"},
      .dropped_from_diff = {"_name_or_path"},
      .int_key_fields = {"id2label", "pruned_heads"}};
  return kind;
}
}  // namespace

PretrainedConfig::PretrainedConfig() : JsonConfig(config_kind(), json::object()) {}

PretrainedConfig::PretrainedConfig(json data, std::string model_type) : JsonConfig(config_kind(), std::move(data)) {
  if (model_type.empty() && data_.contains("model_type") && data_["model_type"].is_string())
    model_type = data_["model_type"].get<std::string>();
  model_type_ = model_type;
  info_ = find_config_class(model_type_);
  // Python's __init__: aliases are stored under their canonical names; name_or_path and
  // attn_implementation go to their private attributes; num_labels is no attribute of its own
  // (it only builds id2label/label2id when no id2label was given).
  if (info_)
    for (auto& [alias, canonical] : info_->attribute_map)
      if (data_.contains(alias)) {
        data_[canonical] = data_[alias];
        data_.erase(alias);
      }
  if (data_.contains("name_or_path")) {
    data_["_name_or_path"] = data_["name_or_path"].is_string() ? data_["name_or_path"] : json("");
    data_.erase("name_or_path");
  }
  if (data_.contains("attn_implementation")) {
    data_["_attn_implementation"] = data_["attn_implementation"];
    data_.erase("attn_implementation");
  }
  if (data_.contains("id2label") && !data_["id2label"].is_null() && !data_["id2label"].is_object())
    throw ValueError("config: argument id2label should be a dictionary, found " + quote_input(data_["id2label"].dump()));
  if (data_.contains("label2id") && !data_["label2id"].is_null() && !data_["label2id"].is_object())
    throw ValueError("config: argument label2id should be a dictionary, found " + quote_input(data_["label2id"].dump()));
  if (data_.contains("num_labels")) {
    const json n = data_["num_labels"];
    data_.erase("num_labels");
    if (!data_.contains("id2label") || data_["id2label"].is_null()) {
      if (!n.is_number_integer()) throw FormatError("config key 'num_labels': expected an integer, found " + quote_input(n.dump()));
      set_num_labels(n.get<int64_t>());
    }
  }
  if (data_.contains("problem_type") && !data_["problem_type"].is_null()) {
    const json& pt = data_["problem_type"];
    if (!pt.is_string() || (pt != "regression" && pt != "single_label_classification" &&
                            pt != "multi_label_classification"))
      throw ValueError("config parameter problem_type was not understood: received " + quote_input(pt.dump()) +
                       " but only 'regression', 'single_label_classification' and "
                       "'multi_label_classification' are valid");
  }
  if (data_.contains("torch_dtype") && data_["torch_dtype"].is_string()) {
    // Validates the name and stores the spelling to_dict writes ("torch.float16" -> "float16").
    data_["torch_dtype"] = std::string(dtype_name(dtype_from_name(data_["torch_dtype"].get<std::string>())));
  }
  if (info_ && info_->derive_attributes) info_->derive_attributes(*this);
}

std::string PretrainedConfig::canonical_key(const std::string& key) const {
  if (info_) {
    auto it = info_->attribute_map.find(key);
    if (it != info_->attribute_map.end()) return it->second;
  }
  return key;
}

const json* PretrainedConfig::lookup(const std::string& key) const {
  const std::string k = canonical_key(key);
  // 5.x spells torch_dtype "dtype" (read both styles; the 4.x key wins).
  if (k == "torch_dtype" && !data_.contains(k))
    if (auto d = data_.find("dtype"); d != data_.end()) return &*d;
  return JsonConfig::lookup(k);
}

void PretrainedConfig::set(const std::string& key, json value) {
  const std::string k = canonical_key(key);
  if (k == "num_labels") {
    if (!value.is_number_integer()) throw ValueError("num_labels must be an integer, found " + quote_input(value.dump()));
    set_num_labels(value.get<int64_t>());
    return;
  }
  if (k == "attn_implementation") {
    data_["_attn_implementation"] = std::move(value);
    return;
  }
  if (k == "torch_dtype" && value.is_string()) {
    set_torch_dtype(dtype_from_name(value.get<std::string>()));
    return;
  }
  data_[k] = std::move(value);
}
void PretrainedConfig::erase(const std::string& key) { data_.erase(canonical_key(key)); }

int64_t PretrainedConfig::num_labels() const {
  if (data_.contains("id2label") && data_["id2label"].is_object()) return int64_t(data_["id2label"].size());
  return 2;  // the base default id2label has two labels
}

void PretrainedConfig::set_num_labels(int64_t n) {
  if (n < 0) throw ValueError("num_labels must be >= 0, found " + std::to_string(n));
  if (n > kMaxNumLabels)
    throw ValueError("num_labels must be at most " + std::to_string(kMaxNumLabels) + " (one id2label entry and one "
                     "classifier row per label), found " + std::to_string(n));
  const bool have = data_.contains("id2label") && data_["id2label"].is_object();
  if (have && int64_t(data_["id2label"].size()) == n) return;
  json id2label = json::object(), label2id = json::object();
  for (int64_t i = 0; i < n; ++i) {
    io::append_new_key(id2label, std::to_string(i), "LABEL_" + std::to_string(i));
    io::append_new_key(label2id, "LABEL_" + std::to_string(i), i);
  }
  data_["id2label"] = std::move(id2label);
  data_["label2id"] = std::move(label2id);
}

std::map<std::string, int64_t> PretrainedConfig::label2id() const {
  std::map<std::string, int64_t> out;
  if (data_.contains("label2id") && data_["label2id"].is_object()) {
    for (auto& [k, v] : data_["label2id"].items()) {
      if (!v.is_number_integer()) throw FormatError("config key 'label2id': expected integer ids, found " + quote_input(v.dump()));
      out[k] = v.get<int64_t>();
    }
    return out;
  }
  for (auto& [i, l] : id2label()) out[l] = i;
  return out;
}

std::map<int64_t, std::string> PretrainedConfig::id2label() const {
  std::map<int64_t, std::string> out;
  if (data_.contains("id2label") && data_["id2label"].is_object()) {
    for (auto& [k, v] : data_["id2label"].items()) {
      try {
        out[std::stoll(k)] = v.get<std::string>();
      } catch (const std::exception&) {
        throw FormatError("config key 'id2label': expected integer keys and string labels, found '" + k + "'");
      }
    }
    return out;
  }
  for (int64_t i = 0; i < num_labels(); ++i) out[i] = "LABEL_" + std::to_string(i);
  return out;
}

std::map<int64_t, std::vector<int64_t>> PretrainedConfig::pruned_heads() const {
  std::map<int64_t, std::vector<int64_t>> out;
  if (!data_.contains("pruned_heads") || !data_["pruned_heads"].is_object()) return out;
  for (auto& [k, v] : data_["pruned_heads"].items()) {
    try {
      out[std::stoll(k)] = v.get<std::vector<int64_t>>();
    } catch (const std::exception&) {
      throw FormatError("config key 'pruned_heads': expected {layer: [heads]}, found " + quote_input(data_["pruned_heads"].dump()));
    }
  }
  return out;
}

void PretrainedConfig::set_pruned_heads(const std::map<int64_t, std::vector<int64_t>>& heads) {
  json j = json::object();
  for (auto& [k, v] : heads) j[std::to_string(k)] = v;
  data_["pruned_heads"] = j;
}

std::optional<DType> PretrainedConfig::torch_dtype() const {
  for (const char* key : {"torch_dtype", "dtype"}) {
    auto it = data_.find(key);
    if (it != data_.end() && it->is_string()) {
      try {
        return dtype_from_name(it->get<std::string>());
      } catch (const Error&) {
        throw FormatError(std::string("config key '") + key + "': unknown dtype " + quote_input(it->dump()));
      }
    }
  }
  return std::nullopt;
}

void PretrainedConfig::set_torch_dtype(std::optional<DType> dt) {
  const json v = dt ? json(std::string(dtype_name(*dt))) : json(nullptr);
  // Only the 4.51 key: a 5.x file's "dtype" is kept as loaded, exactly as 4.51 keeps unknown keys
  // (torch_dtype() reads "torch_dtype" first, so the new value wins on our side and in 4.51).
  data_["torch_dtype"] = v;
}

std::optional<double> PretrainedConfig::rope_theta() const {
  auto it = data_.find("rope_theta");
  if (it != data_.end() && it->is_number()) return it->get<double>();
  auto rp = data_.find("rope_parameters");
  if (rp != data_.end() && rp->is_object()) {
    auto t = rp->find("rope_theta");
    if (t != rp->end() && t->is_number()) return t->get<double>();
  }
  if (info_) {
    auto d = info_->defaults.find("rope_theta");
    if (d != info_->defaults.end() && d->is_number()) return d->get<double>();
  }
  return std::nullopt;
}

json PretrainedConfig::rope_scaling() const {
  auto it = data_.find("rope_scaling");
  if (it != data_.end() && !it->is_null()) return *it;
  auto rp = data_.find("rope_parameters");
  if (rp != data_.end() && rp->is_object()) {
    auto t = rp->find("rope_type");
    if (t != rp->end() && t->is_string() && *t != "default") return *rp;
  }
  return nullptr;
}

std::vector<std::string> PretrainedConfig::architectures() const {
  auto it = data_.find("architectures");
  if (it == data_.end() || it->is_null()) return {};
  try {
    return it->get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception&) {
    throw FormatError("config key 'architectures': expected a list of strings, found " + quote_input(it->dump()));
  }
}

// ---- loading ----

bool PretrainedConfig::has_attribute(const std::string& key) const {
  static const char* const kProperties[] = {"num_labels", "name_or_path", "use_return_dict",
                                            "_attn_implementation", "torch_dtype"};
  for (const char* p : kProperties)
    if (key == p) return true;
  const std::string k = canonical_key(key);
  if (data_.contains(k)) return true;
  if (info_ && info_->defaults.contains(k)) return true;
  return base_config_defaults().contains(k);
}

json PretrainedConfig::update_from_kwargs(const json& kwargs) {
  json unused = json::object();
  if (kwargs.is_null()) return unused;
  if (!kwargs.is_object()) throw ValueError("config overrides must be a JSON object, found " + quote_input(kwargs.dump()));
  if (kwargs.contains("num_labels") && kwargs.contains("id2label")) {
    const size_t n = kwargs["id2label"].is_object() ? kwargs["id2label"].size() : 0;
    if (!kwargs["num_labels"].is_number_integer() || int64_t(n) != kwargs["num_labels"].get<int64_t>())
      throw ValueError("You passed along num_labels=" + quote_input(kwargs["num_labels"].dump()) +
                       " with an incompatible id to label map: " + quote_input(kwargs["id2label"].dump()) +
                       ". Since those arguments are inconsistent with each other, you should remove one of them.");
  }
  for (auto& [k, v] : kwargs.items()) {
    if (k == "attn_implementation") {
      data_["_attn_implementation"] = v;
      continue;
    }
    if (k == "name_or_path") {
      data_["_name_or_path"] = v;
      continue;
    }
    if (!has_attribute(k)) {
      unused[k] = v;
      continue;
    }
    if (k == "torch_dtype") {
      // Applied, yet still handed back: the model's from_pretrained reads it from the leftovers.
      if (v.is_string() && v != "auto") set_torch_dtype(dtype_from_name(v.get<std::string>()));
      unused[k] = v;
      continue;
    }
    if (k == "id2label" && v.is_object()) {
      data_["id2label"] = v;
      continue;
    }
    set(k, v);
  }
  return unused;
}

std::pair<std::shared_ptr<PretrainedConfig>, json> PretrainedConfig::from_dict_with_unused(const json& dict,
                                                                                           const json& overrides) {
  auto cfg = std::make_shared<PretrainedConfig>(dict);
  json unused = cfg->update_from_kwargs(overrides);
  return {cfg, unused};
}

std::shared_ptr<PretrainedConfig> PretrainedConfig::from_dict(const json& dict, const json& overrides) {
  return from_dict_with_unused(dict, overrides).first;
}

std::shared_ptr<PretrainedConfig> PretrainedConfig::from_json_file(const std::string& file) {
  json j = io::read_ordered_json_file(file, {.what = "config file", .max_bytes = io::kConfigJsonMaxBytes});
  if (!j.is_object()) throw FormatError("config file '" + file + "': expected a JSON object, found " + j.type_name());
  auto cfg = std::make_shared<PretrainedConfig>(std::move(j));
  cfg->set_source_file(file);  // typed errors name the file
  return cfg;
}

std::string PretrainedConfig::resolve_config_file(const std::string& path, const ConfigLoadOptions& opts) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string& sub = opts.hub.subfolder;
  if (fs::is_regular_file(fs::path(sub) / path, ec)) return (fs::path(sub) / path).string();
  auto f = hub::resolve_file(path, "config.json", opts.hub);
  if (!f)
    throw FileNotFoundError("'" + path + "' does not appear to have a file named " + (sub.empty() ? "" : sub + "/") +
                            "config.json");
  return *f;
}

std::pair<std::shared_ptr<PretrainedConfig>, json> PretrainedConfig::from_pretrained_with_unused(
    const std::string& path, const ConfigLoadOptions& opts) {
  auto cfg = from_json_file(resolve_config_file(path, opts));
  json unused = cfg->update_from_kwargs(opts.overrides);
  return {cfg, unused};
}

std::shared_ptr<PretrainedConfig> PretrainedConfig::from_pretrained(const std::string& path,
                                                                    const ConfigLoadOptions& opts) {
  return from_pretrained_with_unused(path, opts).first;
}

}  // namespace transformers
