#pragma once
// JsonConfig: what PretrainedConfig (config.json) and GenerationConfig (generation_config.json)
// share, as 4.51's two classes share it: every key of the file is kept in one JSON object (unknown
// keys survive a load/save round trip); typed reads fall back to the class's defaults and fail with
// a FormatError naming the file, the key, what was expected and what was found; to_dict() is the
// defaults with the loaded keys over them, to_diff_dict() what save_pretrained writes (the keys that
// differ from the defaults), written as Python's json.dumps(indent=2, sort_keys=True).
// Subclasses give their kind (JsonConfigKind) and, where Python has them, aliases (attribute_map),
// a second layer of defaults (<Arch>Config's) and attributes to_dict adds (model_type).
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "transformers/core/error.hpp"

namespace transformers {

using json = nlohmann::ordered_json;

// The version string written as "transformers_version": the Python release whose semantics this
// library follows, so Python's version checks see a familiar value.
inline constexpr const char* kTransformersCompatVersion = "4.51.3";

// json.dumps(obj, indent=2, sort_keys=True) + "\n" as Python writes it (ASCII-escaped, keys sorted
// recursively). The top-level objects named in `int_key_fields` hold int keys in Python
// (id2label, pruned_heads), so they sort numerically ("2" before "10").
std::string python_json_dumps(const json& j, bool sort_keys = true,
                              const std::vector<std::string>& int_key_fields = {"id2label", "pruned_heads"});

// Where a value was read from, for the message of a typed error.
struct JsonField {
  std::string_view what;  // "config", "generation config"
  std::string_view file;  // the file the value came from; empty when the config was built in memory
  std::string key;
};
// FormatError: "<what> key '<key>' in '<file>': expected <expected>, found <value>" (the file part
// only when known; the value quoted and bounded, core/quote.hpp).
[[noreturn]] void throw_json_field_error(const JsonField& field, std::string_view expected, const json& found);

namespace detail {
template <typename T>
struct is_std_vector : std::false_type {};
template <typename U>
struct is_std_vector<std::vector<U>> : std::true_type {};

// Whether the JSON number `v` is a value of the integer type T. nlohmann's get<integer>() of a
// float outside the range is undefined behaviour (a config with "vocab_size": 1e100 gave garbage
// sizes) and of a wider integer wraps; both are refused.
template <typename T>
bool integer_fits(const json& v) {
  constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
  // 2^63 or 2^64 (exact doubles) for 64-bit types; max + 1 for the narrower ones.
  constexpr double hi = 2.0 * (static_cast<double>(std::numeric_limits<T>::max() / 2) + 1.0);
  if (v.is_number_float()) {
    const double d = v.get<double>();
    return d >= lo && d < hi;  // NaN fails both
  }
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= uint64_t(std::numeric_limits<T>::max());
  const int64_t i = v.get<int64_t>();
  if constexpr (std::is_signed_v<T>)
    return i >= int64_t(std::numeric_limits<T>::min()) && i <= int64_t(std::numeric_limits<T>::max());
  else
    return i >= 0 && uint64_t(i) <= uint64_t(std::numeric_limits<T>::max());
}
}  // namespace detail

// One JSON value as T (bool, an integer or floating type, std::string, or a std::vector of those),
// with the typed error above when it is not one. Integers accept JSON floats in range (Python's
// config code does arithmetic on whatever number it finds).
template <typename T>
T read_json_value(const json& v, const JsonField& field) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) throw_json_field_error(field, "true or false", v);
    return v.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (!v.is_number()) throw_json_field_error(field, "an integer", v);
    if (!detail::integer_fits<T>(v))
      throw_json_field_error(field, std::is_signed_v<T> && sizeof(T) == 8 ? "an integer within [-2^63, 2^63)"
                                                                          : "an integer within the type's range",
                             v);
    return v.get<T>();
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) throw_json_field_error(field, "a number", v);
    return v.get<T>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) throw_json_field_error(field, "a string", v);
    return v.get<std::string>();
  } else if constexpr (detail::is_std_vector<T>::value) {
    if (!v.is_array()) throw_json_field_error(field, "a list", v);
    T out;
    out.reserve(v.size());
    for (const json& e : v) out.push_back(read_json_value<typename T::value_type>(e, field));
    return out;
  } else {
    static_assert(std::is_same_v<T, json>, "read_json_value: add a reader for this type");
    return v;
  }
}

// What distinguishes one kind of JSON config file from another.
struct JsonConfigKind {
  std::string what;               // "config": names the kind in messages
  const json& (*defaults)();      // the attributes every config of this kind has, with defaults
  std::vector<std::string> dropped_from_dict;  // private state to_dict never writes
  std::vector<std::string> dropped_from_diff;  // what save_pretrained leaves out besides the defaults
  std::vector<std::string> int_key_fields;     // top-level objects whose keys sort as integers
};

class JsonConfig {
 public:
  virtual ~JsonConfig() = default;

  // Whether `key` has a value: loaded, set, or a default.
  bool has(const std::string& key) const { return lookup(key) != nullptr; }
  // The value of `key` (loaded, set or default); KeyError when it has none.
  const json& raw_at(const std::string& key) const;
  // Typed access (read_json_value); KeyError when absent, FormatError naming file and key on a
  // value of another type.
  template <typename T>
  T get(const std::string& key) const {
    return read_json_value<T>(raw_at(key), field(key));
  }
  // As get<T>, with `fallback` when the key is absent or null.
  template <typename T>
  T get(const std::string& key, const T& fallback) const {
    const json* v = lookup(key);
    return v && !v->is_null() ? read_json_value<T>(*v, field(key)) : fallback;
  }
  // The loaded and set keys (not the defaults).
  json& raw() { return data_; }
  const json& raw() const { return data_; }
  // The file this config was read from; empty when it was built in memory.
  const std::string& source_file() const { return source_file_; }
  void set_source_file(std::string file) { source_file_ = std::move(file); }
  // The name a key is stored under (attribute_map aliases resolved).
  virtual std::string canonical_key(const std::string& key) const { return key; }

  // ---- serialization (4.51's to_dict / to_diff_dict / to_json_string / to_json_file) ----
  json to_dict() const;
  json to_diff_dict() const;
  std::string to_json_string(bool use_diff = true) const;
  // Writes the file atomically (io::write_file_atomic).
  void to_json_file(const std::string& file, bool use_diff = true) const;

 protected:
  JsonConfig(const JsonConfigKind& kind, json data);
  JsonConfig(const JsonConfig&) = default;
  JsonConfig& operator=(const JsonConfig&) = default;

  // The value of `key` or nullptr: the loaded keys, then class_defaults(), then the kind's defaults.
  virtual const json* lookup(const std::string& key) const;
  // A second layer of defaults over the kind's (<Arch>Config's own __init__ defaults); none here.
  virtual const json* class_defaults() const { return nullptr; }
  // Attributes to_dict writes that are not stored as keys (PretrainedConfig's model_type).
  virtual void add_dict_attributes(json& dict) const {}
  // save_pretrained's common part: `dir` must not be a file (ValueError, as Python asserts), is
  // created, and `file_name` is written atomically with to_json_string(true).
  void save_into(const std::string& dir, const std::string& file_name) const;
  JsonField field(const std::string& key) const;

  json data_;
  std::string source_file_;
  const JsonConfigKind* kind_;
};

}  // namespace transformers
