#include "transformers/core/quote.hpp"
#include "transformers/modeling/configuration_utils.hpp"
#include "transformers/modeling/config_limits.hpp"

#include <filesystem>
#include <mutex>

#include "transformers/hub/hub.hpp"
#include "transformers/io/json_file.hpp"
#include "transformers/io/atomic_file.hpp"

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

PretrainedConfig::PretrainedConfig(json data, std::string model_type) : data_(std::move(data)) {
  if (!data_.is_object()) throw FormatError("config: expected a JSON object, found " + std::string(data_.type_name()));
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

bool PretrainedConfig::has(const std::string& key) const {
  const std::string k = canonical_key(key);
  if (k == "torch_dtype" && data_.contains("dtype")) return true;
  return data_.contains(k) || (info_ && info_->defaults.contains(k)) || base_config_defaults().contains(k);
}

const json& PretrainedConfig::raw_at(const std::string& key) const {
  const std::string k = canonical_key(key);
  auto it = data_.find(k);
  if (it != data_.end()) return *it;
  // 5.x spells torch_dtype "dtype" (read both styles).
  if (k == "torch_dtype") {
    auto d = data_.find("dtype");
    if (d != data_.end()) return *d;
  }
  if (info_) {
    auto d = info_->defaults.find(k);
    if (d != info_->defaults.end()) return *d;
  }
  auto b = base_config_defaults().find(k);
  if (b != base_config_defaults().end()) return *b;
  throw KeyError("config has no key '" + k + "'" + (model_type_.empty() ? "" : " (model_type " + model_type_ + ")"));
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

// ---- serialization (4.51's to_dict / to_diff_dict / to_json_string) ----

namespace {
// Keys to_dict never writes (private state, not configuration).
const char* const kDroppedFromDict[] = {"_auto_class", "_commit_hash", "_attn_implementation_internal",
                                        "_attn_implementation", "base_model_tp_plan", "base_model_pp_plan"};
}  // namespace

json PretrainedConfig::to_dict() const {
  json out = base_config_defaults();
  if (info_) io::update_ordered(out, info_->defaults);
  io::update_ordered(out, data_);  // linear: a config may hold 100k keys
  out["model_type"] = model_type_;
  for (const char* k : kDroppedFromDict) out.erase(k);
  out["transformers_version"] = kTransformersCompatVersion;
  return out;
}

json PretrainedConfig::to_diff_dict() const {
  const json full = to_dict();
  const json& base = base_config_defaults();
  json cls = base;
  if (info_)
    for (auto& [k, v] : info_->defaults.items()) cls[k] = v;
  cls["model_type"] = model_type_;
  json out = json::object();
  for (auto& [k, v] : full.items()) {
    auto b = base.find(k);
    auto c = cls.find(k);
    if (b == base.end() || k == "transformers_version" || k == "vocab_file" || v != *b ||
        (c != cls.end() && v != *c))
      io::append_new_key(out, k, v);  // full's keys are distinct
  }
  out.erase("_name_or_path");
  return out;
}

std::string PretrainedConfig::to_json_string(bool use_diff) const {
  return python_json_dumps(use_diff ? to_diff_dict() : to_dict());
}

void PretrainedConfig::to_json_file(const std::string& file, bool use_diff) const {
  io::write_file_atomic(file, to_json_string(use_diff));
}

void PretrainedConfig::save_pretrained(const std::string& dir) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(dir, ec))
    throw ValueError("Provided path (" + dir + ") should be a directory, not a file");
  fs::create_directories(dir, ec);
  if (ec) throw EnvironmentError("cannot create directory '" + dir + "': " + ec.message());
  to_json_file((fs::path(dir) / "config.json").string(), true);
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
  return std::make_shared<PretrainedConfig>(std::move(j));
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
