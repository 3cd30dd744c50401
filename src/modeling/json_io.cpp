// JSON written byte-for-byte as Python's json.dumps(indent=2, sort_keys=True) writes it.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

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

json sorted_copy(const json& j, bool numeric_keys) {
  if (j.is_array()) {
    json out = json::array();
    for (auto& v : j) out.push_back(sorted_copy(v, false));
    return out;
  }
  if (!j.is_object()) return j;
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  bool all_int = numeric_keys;
  std::vector<std::pair<long long, std::string>> ints;
  if (all_int)
    for (auto& k : keys) {
      long long n = 0;
      if (!parse_int_key(k, n)) {
        all_int = false;
        break;
      }
      ints.emplace_back(n, k);
    }
  if (all_int) {
    std::sort(ints.begin(), ints.end());
    keys.clear();
    for (auto& [n, k] : ints) keys.push_back(k);
  } else {
    // Python compares str by code point; UTF-8 byte order gives the same order.
    std::sort(keys.begin(), keys.end());
  }
  json out = json::object();
  for (auto& k : keys) out[k] = sorted_copy(j.at(k), false);
  return out;
}

}  // namespace

std::string python_json_dumps(const json& j, bool sort_keys, const std::vector<std::string>& int_key_fields) {
  json doc = j;
  if (sort_keys) {
    if (j.is_object()) {
      json tmp = sorted_copy(j, false);  // sorts the top level as strings
      for (auto& [k, v] : tmp.items()) {
        const bool numeric = std::find(int_key_fields.begin(), int_key_fields.end(), k) != int_key_fields.end();
        v = sorted_copy(j.at(k), numeric);
      }
      doc = std::move(tmp);
    } else {
      doc = sorted_copy(j, false);
    }
  }
  // nlohmann's number formatting (shortest round-trip, "1e-12", "0.0") matches Python's repr for
  // the values configs hold; NaN/Infinity (which Python writes bare) cannot occur in valid JSON input.
  return doc.dump(2, ' ', /*ensure_ascii=*/true) + "\n";
}

}  // namespace transformers
