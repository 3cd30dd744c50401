#include "transformers/modeling/configuration_utils.hpp"

#include <mutex>

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

PretrainedConfig::PretrainedConfig(json data, std::string model_type) : data_(std::move(data)) {
  if (!data_.is_object()) throw FormatError("config: expected a JSON object, found " + std::string(data_.type_name()));
  if (model_type.empty() && data_.contains("model_type") && data_["model_type"].is_string())
    model_type = data_["model_type"].get<std::string>();
  model_type_ = model_type;
  info_ = find_config_class(model_type_);
}

std::string PretrainedConfig::canonical_key(const std::string& key) const {
  if (info_) {
    auto it = info_->attribute_map.find(key);
    if (it != info_->attribute_map.end()) return it->second;
  }
  return key;
}

bool PretrainedConfig::has(const std::string& key) const {
  const std::string k = canonical_key(key);
  return data_.contains(k) || (info_ && info_->defaults.contains(k));
}

const json& PretrainedConfig::raw_at(const std::string& key) const {
  const std::string k = canonical_key(key);
  auto it = data_.find(k);
  if (it != data_.end()) return *it;
  if (info_) {
    auto d = info_->defaults.find(k);
    if (d != info_->defaults.end()) return *d;
  }
  throw KeyError("config has no key '" + k + "'" + (model_type_.empty() ? "" : " (model_type " + model_type_ + ")"));
}

void PretrainedConfig::set(const std::string& key, json value) { data_[canonical_key(key)] = std::move(value); }
void PretrainedConfig::erase(const std::string& key) { data_.erase(canonical_key(key)); }

int64_t PretrainedConfig::num_labels() const {
  if (data_.contains("id2label") && data_["id2label"].is_object()) return int64_t(data_["id2label"].size());
  return get<int64_t>("num_labels", 2);
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
      throw FormatError("config key 'pruned_heads': expected {layer: [heads]}, found " + data_["pruned_heads"].dump());
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
    if (it != data_.end() && it->is_string()) return dtype_from_name(it->get<std::string>());
  }
  return std::nullopt;
}

std::vector<std::string> PretrainedConfig::architectures() const {
  auto it = data_.find("architectures");
  if (it == data_.end() || it->is_null()) return {};
  try {
    return it->get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception&) {
    throw FormatError("config key 'architectures': expected a list of strings, found " + it->dump());
  }
}

}  // namespace transformers
