// JsonConfig (see json_config.hpp): lookup through the defaults, 4.51's to_dict / to_diff_dict, the
// typed error, and the save both config kinds share.
#include "transformers/modeling/json_config.hpp"

#include <filesystem>

#include "transformers/core/quote.hpp"
#include "transformers/io/atomic_file.hpp"
#include "transformers/io/json_file.hpp"

namespace transformers {

void throw_json_field_error(const JsonField& field, std::string_view expected, const json& found) {
  std::string msg = std::string(field.what) + " key " + quote_input(field.key);
  if (!field.file.empty()) msg += " in " + quote_input(field.file);
  throw FormatError(msg + ": expected " + std::string(expected) + ", found " + escape_input(found.dump()));
}

JsonConfig::JsonConfig(const JsonConfigKind& kind, json data) : data_(std::move(data)), kind_(&kind) {
  if (!data_.is_object())
    throw FormatError(kind.what + ": expected a JSON object, found " + std::string(data_.type_name()));
}

JsonField JsonConfig::field(const std::string& key) const {
  return {.what = kind_->what, .file = source_file_, .key = canonical_key(key)};
}

const json* JsonConfig::lookup(const std::string& key) const {
  const std::string k = canonical_key(key);
  if (auto it = data_.find(k); it != data_.end()) return &*it;
  if (const json* cls = class_defaults())
    if (auto it = cls->find(k); it != cls->end()) return &*it;
  const json& defaults = kind_->defaults();
  if (auto it = defaults.find(k); it != defaults.end()) return &*it;
  return nullptr;
}

const json& JsonConfig::raw_at(const std::string& key) const {
  if (const json* v = lookup(key)) return *v;
  throw KeyError(kind_->what + " has no key " + quote_input(canonical_key(key)) +
                 (source_file_.empty() ? "" : " (file " + quote_input(source_file_) + ")"));
}

json JsonConfig::to_dict() const {
  json out = kind_->defaults();
  if (const json* cls = class_defaults()) io::update_ordered(out, *cls);
  io::update_ordered(out, data_);  // linear: a config may hold 100k keys
  add_dict_attributes(out);
  for (const std::string& k : kind_->dropped_from_dict) out.erase(k);
  out["transformers_version"] = kTransformersCompatVersion;
  return out;
}

json JsonConfig::to_diff_dict() const {
  // 4.51: a key is written when the defaults lack it, when it differs from the kind's default or
  // from the class's own default, and always for transformers_version and vocab_file.
  const json full = to_dict();
  const json& base = kind_->defaults();
  const json* cls = class_defaults();
  json out = json::object();
  for (auto& [k, v] : full.items()) {
    auto b = base.find(k);
    bool write = b == base.end() || k == "transformers_version" || k == "vocab_file" || v != *b;
    if (!write && cls)
      if (auto c = cls->find(k); c != cls->end()) write = v != *c;
    if (write) io::append_new_key(out, k, v);  // full's keys are distinct
  }
  for (const std::string& k : kind_->dropped_from_diff) out.erase(k);
  return out;
}

std::string JsonConfig::to_json_string(bool use_diff) const {
  return python_json_dumps(use_diff ? to_diff_dict() : to_dict(), true, kind_->int_key_fields);
}

void JsonConfig::to_json_file(const std::string& file, bool use_diff) const {
  io::write_file_atomic(file, to_json_string(use_diff));
}

void JsonConfig::save_into(const std::string& dir, const std::string& file_name) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(dir, ec)) throw ValueError("Provided path (" + dir + ") should be a directory, not a file");
  fs::create_directories(dir, ec);
  if (ec) throw EnvironmentError("cannot create directory '" + dir + "': " + ec.message());
  to_json_file((fs::path(dir) / file_name).string(), true);
}

}  // namespace transformers
