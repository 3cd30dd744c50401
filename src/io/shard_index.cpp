// Shard indexes, size parsing, variant names and the shard split (hf-modeling.md §1.2-1.3, §2.2-2.3).
#include "transformers/io/shard_index.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "io/atomic_file.hpp"
#include "transformers/core/quote.hpp"
#include "transformers/io/json_file.hpp"

namespace transformers::io {

namespace fs = std::filesystem;

std::vector<std::string> ShardIndex::shard_files() const {
  std::set<std::string> s;
  for (const auto& [k, v] : weight_map) s.insert(v);
  return {s.begin(), s.end()};
}

namespace {
// A shard name must be a relative path whose every component is a real name (no '..', no '.').
void check_shard_name(const std::string& shard, const fs::path& index_file) {
  auto refuse = [&](const std::string& why) {
    throw SecurityError("index '" + index_file.string() + "' points at shard '" + shard + "', " + why);
  };
  if (shard.empty()) throw FormatError("index '" + index_file.string() + "' has an empty shard name");
  if (shard.find('\0') != std::string::npos || shard.find('\\') != std::string::npos) refuse("which holds a NUL or backslash");
  const fs::path p(shard);
  if (p.is_absolute() || shard[0] == '/') refuse("an absolute path outside the checkpoint folder");
  for (const auto& part : p)
    if (part == ".." || part == ".") refuse("which leaves the checkpoint folder");
  const fs::path folder = index_file.parent_path().empty() ? fs::path(".") : index_file.parent_path();
  std::error_code ec;
  if (fs::exists(fs::symlink_status(folder / p, ec))) {
    // Symlinks are fine (the Hub cache is made of them) as long as they resolve inside the
    // folder's own tree or the same cache's blobs; a link out of the snapshot's repo is refused.
    const fs::path real = fs::canonical(folder / p, ec);
    const fs::path root = fs::canonical(folder, ec);
    if (ec) refuse("which cannot be resolved");
    fs::path allowed = root;
    // Hub cache layout: <repo>/snapshots/<rev>/file -> ../../blobs/<hash>
    if (root.parent_path().filename() == "snapshots") allowed = root.parent_path().parent_path();
    const auto rel = real.lexically_relative(allowed);
    if (rel.empty() || *rel.begin() == "..") refuse("a link resolving to '" + real.string() + "' outside the folder");
  }
}

}  // namespace

ShardIndex read_shard_index(const fs::path& index_file) {
  nlohmann::ordered_json j = read_ordered_json_file(
      index_file, {.what = "shard index", .max_bytes = kShardIndexMaxBytes, .reject_duplicate_keys = true});
  auto fail = [&](const std::string& w) { throw FormatError("shard index '" + index_file.string() + "': " + w); };
  if (!j.is_object()) fail("expected a JSON object");
  if (!j.contains("weight_map") || !j["weight_map"].is_object()) fail("'weight_map' must be an object");
  ShardIndex idx;
  if (j.contains("metadata")) {
    if (!j["metadata"].is_object() && !j["metadata"].is_null()) fail("'metadata' must be an object");
    if (j["metadata"].is_object()) idx.metadata = j["metadata"];
  }
  for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
    if (!it.value().is_string()) fail("weight_map[" + quote_input(it.key()) + "] must be a file name, found " + one_line(it.value().dump(), kQuotedInputMaxBytes));
    const std::string shard = it.value().get<std::string>();
    check_shard_name(shard, index_file);
    idx.weight_map.emplace_back(it.key(), shard);
  }
  return idx;
}

std::string shard_index_json(const ShardIndex& index) {
  nlohmann::json j;
  j["metadata"] = index.metadata;
  j["weight_map"] = nlohmann::json::object();
  for (const auto& [k, v] : index.weight_map) j["weight_map"][k] = v;
  // nlohmann objects are sorted maps (byte order = code point order for UTF-8, as sort_keys), and
  // dump(2, ' ', true) matches json.dumps(indent=2, ensure_ascii=True) layout.
  return j.dump(2, ' ', true) + "\n";
}

void save_shard_index(const fs::path& index_file, const ShardIndex& index) {
  detail::AtomicFile f(index_file);
  f.write(shard_index_json(index));
  f.commit();
}

int64_t parse_size_to_int(std::string_view size_in) {
  std::string s(size_in);
  const auto b = s.find_first_not_of(" \t\n\r\f\v"), e = s.find_last_not_of(" \t\n\r\f\v");
  s = b == std::string::npos ? "" : s.substr(b, e - b + 1);
  auto bad = [&](const std::string& why) {
    throw ValueError("max_shard_size '" + std::string(size_in) + "': " + why);
  };
  if (s.size() < 2) bad("expected a number followed by TB, GB, MB or KB");
  std::string unit = s.substr(s.size() - 2);
  for (auto& c : unit) c = char(std::toupper(static_cast<unsigned char>(c)));
  double mult;
  if (unit == "TB") mult = 1e12;
  else if (unit == "GB") mult = 1e9;
  else if (unit == "MB") mult = 1e6;
  else if (unit == "KB") mult = 1e3;
  else bad("unit '" + unit + "' not supported; supported units are TB, GB, MB, KB");
  const std::string num = s.substr(0, s.size() - 2);
  size_t used = 0;
  double v;
  try {
    v = std::stod(num, &used);
  } catch (const std::exception&) {
    bad("could not parse the number '" + num + "'");
  }
  // float() accepts surrounding whitespace
  if (num.find_first_not_of(" \t\n\r\f\v", used) != std::string::npos) bad("could not parse the number '" + num + "'");
  if (!std::isfinite(v) || v * mult > 9.2e18) bad("size out of range");
  return int64_t(v * mult);  // Python's int(float) truncates toward zero
}

int64_t convert_file_size_to_int(std::string_view size_in) {
  const std::string s(size_in);
  std::string up = s;
  for (auto& c : up) c = char(std::toupper(static_cast<unsigned char>(c)));
  auto num = [&](size_t unit_len) -> int64_t {
    const std::string n = s.substr(0, s.size() - unit_len);
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(n, &used);
    } catch (const std::exception&) {
      throw ValueError("`size` '" + s + "' is not in a valid format. Use an integer followed by the unit, e.g., '5GB'.");
    }
    if (n.find_first_not_of(" \t\n\r\f\v", used) != std::string::npos)
      throw ValueError("`size` '" + s + "' is not in a valid format. Use an integer followed by the unit, e.g., '5GB'.");
    return int64_t(v);
  };
  auto ends = [&](std::string_view suf) { return up.size() >= suf.size() && up.compare(up.size() - suf.size(), suf.size(), suf) == 0; };
  const bool bits = !s.empty() && s.back() == 'b';
  int64_t r;
  if (ends("GIB")) return num(3) * (int64_t(1) << 30);
  if (ends("MIB")) return num(3) * (int64_t(1) << 20);
  if (ends("KIB")) return num(3) * (int64_t(1) << 10);
  if (ends("GB")) r = num(2) * 1'000'000'000;
  else if (ends("MB")) r = num(2) * 1'000'000;
  else if (ends("KB")) r = num(2) * 1'000;
  else throw ValueError("`size` '" + s + "' is not in a valid format. Use an integer followed by the unit, e.g., '5GB'.");
  return bits ? r / 8 : r;  // Python: int_size // 8
}

std::string add_variant(std::string_view name, std::string_view variant) {
  if (variant.empty()) return std::string(name);
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return std::string(name) + "." + std::string(variant);
  return std::string(name.substr(0, dot)) + "." + std::string(variant) + std::string(name.substr(dot));
}

ShardIndex StateDictSplit::index() const {
  ShardIndex idx;
  idx.metadata = {{"total_size", total_size}};
  for (const auto& [k, v] : tensor_to_filename) idx.weight_map.emplace_back(k, v);
  return idx;
}

StateDictSplit split_state_dict_into_shards(const NamedTensors& tensors, int64_t max_shard_size,
                                            std::string_view filename_pattern) {
  using StorageId = std::pair<const void*, size_t>;
  std::map<StorageId, std::vector<std::string>> groups;
  std::vector<StorageId> group_order;
  std::vector<std::vector<std::string>> shards;
  std::vector<std::string> current;
  int64_t current_size = 0, total = 0;
  for (const auto& [name, t] : tensors) {
    if (!t.defined()) continue;
    const auto& s = t.storage();
    // torch reports data_ptr 0 for empty storages, so all of them count as one storage there.
    const StorageId id = s->nbytes() == 0 ? StorageId{nullptr, 0} : StorageId{s->data(), s->nbytes()};
    auto [it, fresh] = groups.emplace(id, std::vector<std::string>{});
    it->second.push_back(name);
    if (!fresh) continue;
    group_order.push_back(id);
    const int64_t size = int64_t(s->nbytes());
    if (size > max_shard_size) {
      total += size;
      shards.push_back({name});
      continue;
    }
    if (current_size + size > max_shard_size) {
      shards.push_back(std::move(current));
      current.clear();
      current_size = 0;
    }
    current.push_back(name);
    current_size += size;
    total += size;
  }
  if (!current.empty()) shards.push_back(std::move(current));
  // aliases join the shard of their storage's first name (appended, like dict insertion)
  for (const auto& id : group_order) {
    const auto& names = groups[id];
    if (names.size() < 2) continue;
    for (auto& shard : shards)
      if (std::find(shard.begin(), shard.end(), names[0]) != shard.end()) {
        for (size_t i = 1; i < names.size(); ++i)
          if (std::find(shard.begin(), shard.end(), names[i]) == shard.end()) shard.push_back(names[i]);
        break;
      }
  }
  StateDictSplit out;
  out.total_size = total;
  const std::string pattern(filename_pattern);
  const size_t at = pattern.find("{suffix}");
  auto name_for = [&](const std::string& suffix) {
    return at == std::string::npos ? pattern : pattern.substr(0, at) + suffix + pattern.substr(at + 8);
  };
  if (shards.size() <= 1) {
    const std::string f = name_for("");
    std::vector<std::string> all;
    for (const auto& [n, t] : tensors) all.push_back(n);
    for (const auto& n : all) out.tensor_to_filename[n] = f;
    out.filename_to_tensors.emplace_back(f, std::move(all));
    return out;
  }
  for (size_t i = 0; i < shards.size(); ++i) {
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, "-%05zu-of-%05zu", i + 1, shards.size());
    const std::string f = name_for(suffix);
    for (const auto& n : shards[i]) out.tensor_to_filename[n] = f;
    out.filename_to_tensors.emplace_back(f, shards[i]);
  }
  return out;
}

}  // namespace transformers::io
