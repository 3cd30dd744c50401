// JSON written byte-for-byte as Python's json.dumps(indent=2, sort_keys=True) writes it, and files
// written atomically (a reader never sees half a config.json).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "transformers/io/json_file.hpp"
#include "transformers/modeling/configuration_utils.hpp"

namespace transformers {

namespace {

bool parse_int_key(const std::string& k, long long& out) {
  if (k.empty()) return false;
  size_t i = (k[0] == '-') ? 1 : 0;
  if (i == k.size()) return false;
  for (size_t j = i; j < k.size(); ++j)
    if (k[j] < '0' || k[j] > '9') return false;
  try {
    out = std::stoll(k);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

// `j` with every object's keys sorted; `numeric_keys`: this object's keys sort as integers when all
// of them are; `numeric_children`: the keys of this object whose values get numeric_keys. Linear in
// the number of keys apart from the sort (ordered_json's at()/operator[] search linearly, which made
// a 100k-key config take minutes).
json sorted_copy(const json& j, bool numeric_keys, const std::vector<std::string>* numeric_children = nullptr) {
  if (j.is_array()) {
    json out = json::array();
    for (auto& v : j) out.push_back(sorted_copy(v, false));
    return out;
  }
  if (!j.is_object()) return j;
  struct Entry {
    long long number;
    const std::string* key;
    const json* value;
  };
  std::vector<Entry> entries;
  entries.reserve(j.size());
  bool all_int = numeric_keys;
  for (auto it = j.begin(); it != j.end(); ++it) {
    long long n = 0;
    if (all_int && !parse_int_key(it.key(), n)) all_int = false;
    entries.push_back({n, &it.key(), &it.value()});
  }
  if (all_int) {
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.number != b.number ? a.number < b.number : *a.key < *b.key;
    });
  } else {
    // Python compares str by code point; UTF-8 byte order gives the same order.
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return *a.key < *b.key; });
  }
  json out = json::object();
  for (const auto& e : entries) {
    const bool numeric = numeric_children != nullptr &&
                         std::find(numeric_children->begin(), numeric_children->end(), *e.key) != numeric_children->end();
    io::append_new_key(out, *e.key, sorted_copy(*e.value, numeric));  // keys of one object are distinct
  }
  return out;
}

}  // namespace

std::string python_json_dumps(const json& j, bool sort_keys, const std::vector<std::string>& int_key_fields) {
  // The top level sorts as strings; the fields named in int_key_fields (id2label) as integers.
  const json doc = sort_keys ? sorted_copy(j, false, &int_key_fields) : j;
  // nlohmann's number formatting (shortest round-trip, "1e-12", "0.0") matches Python's repr for
  // the values configs hold; NaN/Infinity (which Python writes bare) cannot occur in valid JSON input.
  return doc.dump(2, ' ', /*ensure_ascii=*/true) + "\n";
}

void write_file_atomic(const std::string& file, const std::string& text) {
  namespace fs = std::filesystem;
  const fs::path target(file);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::random_device rd;
  std::string tmp_name = ".";
  tmp_name += target.filename().string();
  tmp_name += ".tmp";
  tmp_name += std::to_string(rd());
  const fs::path tmp = dir / tmp_name;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw EnvironmentError("cannot write '" + tmp.string() + "': " + std::strerror(errno));
    out.write(text.data(), std::streamsize(text.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw EnvironmentError("writing '" + tmp.string() + "' failed: " + std::strerror(errno));
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw EnvironmentError("cannot rename '" + tmp.string() + "' to '" + target.string() + "': " + ec.message());
  }
}

}  // namespace transformers
