// Format sniffing and the whole-checkpoint entry points.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>

#include "io/weight_writers.hpp"
#include "transformers/io/atomic_file.hpp"
#include "transformers/io/checkpoint.hpp"
#include "transformers/io/gguf.hpp"
#include "transformers/io/json_file.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/io/shard_index.hpp"
#include "transformers/io/tf_flax.hpp"
#include "transformers/io/torch_pickle.hpp"

namespace transformers::io {

namespace {
std::string first_bytes(const std::filesystem::path& file, size_t n) {
  require_regular_file(file, "checkpoint file");  // a FIFO would block the read below forever
  std::ifstream in(file, std::ios::binary);
  if (!in) throw FileNotFoundError("cannot open checkpoint file '" + file.string() + "'");
  std::string s(n, '\0');
  in.read(s.data(), std::streamsize(n));
  s.resize(size_t(in.gcount()));
  return s;
}
}  // namespace

std::unique_ptr<CheckpointReader> open_checkpoint_file(const std::filesystem::path& file) {
  if (std::filesystem::is_directory(file))
    throw FileNotFoundError("'" + file.string() + "' is a folder, expected a checkpoint file (use open_checkpoint)");
  const std::string head = first_bytes(file, 8);
  if (head.rfind("version", 0) == 0)
    throw FormatError("'" + file.string() + "' is a git-lfs pointer, not a checkpoint: the repository was cloned "
                      "without git-lfs");
  if (head.rfind("PK\x03\x04", 0) == 0 || head.rfind("\x80\x02\x8a\x0a", 0) == 0)
    return std::make_unique<TorchReader>(file);
  if (head.rfind("GGUF", 0) == 0) return std::make_unique<GGUFReader>(file);
  if (head.rfind("\x89HDF\r\n\x1a\n", 0) == 0) return std::make_unique<H5WeightsReader>(file);
  if (file.extension() == ".msgpack") return std::make_unique<FlaxMsgpackReader>(file);
  return std::make_unique<SafetensorsReader>(file);
}

NamedTensors load_checkpoint_files(const std::vector<std::filesystem::path>& files) {
  NamedTensors out;
  std::set<std::string> seen;
  for (const auto& f : files) {
    auto r = open_checkpoint_file(f);
    for (const auto& k : r->keys()) {
      if (!seen.insert(k).second)
        throw FormatError("tensor '" + k + "' appears in more than one checkpoint file (again in '" + f.string() + "')");
      out.emplace_back(k, r->get_tensor(k));
    }
  }
  return out;
}

namespace {
bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

}  // namespace

CheckpointFiles checkpoint_files_from_index(const std::filesystem::path& index_file, const FileLookup& lookup) {
  CheckpointFiles cf;
  cf.index = read_shard_index(index_file);
  cf.index_file = index_file;
  for (const auto& f : cf.index.shard_files()) {
    std::optional<std::filesystem::path> p = lookup ? lookup(f) : std::optional(index_file.parent_path() / f);
    if (!p)
      throw FileNotFoundError("shard '" + f + "' named by the index '" + index_file.string() + "' does not exist");
    cf.files.push_back(*p);
  }
  return cf;
}

std::optional<CheckpointFiles> find_checkpoint_files(const FileLookup& lookup, const OpenOptions& options,
                                                     std::vector<std::string>* looked_for) {
  std::vector<std::pair<std::string, bool>> candidates;  // (name, is_index)
  if (options.use_safetensors.value_or(true)) {
    candidates.emplace_back(add_variant("model.safetensors", options.variant), false);
    candidates.emplace_back(add_variant("model.safetensors.index.json", options.variant), true);
  }
  if (!options.use_safetensors.value_or(false)) {
    candidates.emplace_back(add_variant("pytorch_model.bin", options.variant), false);
    candidates.emplace_back(add_variant("pytorch_model.bin.index.json", options.variant), true);
  }
  for (const auto& [name, is_index] : candidates) {
    if (looked_for) looked_for->push_back(name);
    std::optional<std::filesystem::path> p = lookup(name);
    if (!p) continue;
    if (is_index) return checkpoint_files_from_index(*p, lookup);
    CheckpointFiles cf;
    cf.files.push_back(*p);
    return cf;
  }
  return std::nullopt;
}

Checkpoint read_checkpoint(const CheckpointFiles& cf) {
  Checkpoint ck;
  ck.index = cf.index_file;
  ck.files = cf.files;
  // Read file by file, checking every weight_map entry is where the index says.
  std::set<std::string> seen;
  for (const auto& f : ck.files) {
    auto r = open_checkpoint_file(f);
    if (ck.format.empty()) {
      ck.format = std::string(r->format());
      ck.metadata = r->metadata();
    }
    for (const auto& k : r->keys()) {
      if (!seen.insert(k).second)
        throw FormatError("tensor '" + k + "' appears in more than one shard (again in '" + f.string() + "')");
      ck.tensors.emplace_back(k, r->get_tensor(k));
    }
  }
  for (const auto& [k, shard] : cf.index.weight_map)
    if (!seen.count(k))
      throw FormatError("index '" + cf.index_file->string() + "' maps '" + k + "' to '" + shard +
                        "', which does not hold it");
  return ck;
}

Checkpoint open_checkpoint(const std::filesystem::path& path, const OpenOptions& options) {
  namespace fs = std::filesystem;
  if (fs::is_directory(path)) {
    std::vector<std::string> tried;
    // Whatever stands at a name goes to its reader, which refuses a FIFO or device with a typed
    // error naming it (skipping it as absent would report a missing shard instead).
    auto in_folder = [&](const std::string& name) -> std::optional<fs::path> {
      std::error_code ec;
      if (fs::exists(path / name, ec)) return path / name;
      return std::nullopt;
    };
    if (auto cf = find_checkpoint_files(in_folder, options, &tried)) return read_checkpoint(*cf);
    std::string listed;
    for (const auto& n : tried) listed += (listed.empty() ? "" : ", ") + n;
    throw FileNotFoundError("no checkpoint in '" + path.string() + "': looked for " + listed);
  }
  if (!fs::exists(path)) throw FileNotFoundError("checkpoint '" + path.string() + "' does not exist");
  if (ends_with(path.filename().string(), ".json")) return read_checkpoint(checkpoint_files_from_index(path));
  Checkpoint ck;
  auto r = open_checkpoint_file(path);
  ck.format = std::string(r->format());
  ck.metadata = r->metadata();
  ck.files = {path};
  ck.tensors = r->tensors();
  return ck;
}

namespace {
// "model.safetensors" / "pytorch_model.fp16.bin": the single-file name of this save.
std::string weights_name(const SaveOptions& o) {
  return add_variant(o.safe_serialization ? "model.safetensors" : "pytorch_model.bin", o.variant);
}
}  // namespace

SaveResult stage_state_dict(FolderSave& save, const NamedTensors& tensors, const SaveOptions& o) {
  namespace fs = std::filesystem;
  const fs::path& folder = save.folder();
  const int64_t max = std::holds_alternative<int64_t>(o.max_shard_size)
                          ? std::get<int64_t>(o.max_shard_size)
                          : parse_size_to_int(std::get<std::string>(o.max_shard_size));
  const std::string weights = weights_name(o);
  std::string pattern = weights;
  for (const std::string ext : {".safetensors", ".bin"}) {
    const size_t at = pattern.rfind(ext);
    if (at != std::string::npos && at + ext.size() == pattern.size()) {
      pattern = pattern.substr(0, at) + "{suffix}" + ext;
      break;
    }
  }
  const StateDictSplit split = split_state_dict_into_shards(tensors, max, pattern);

  const std::string index_name =
      add_variant(o.safe_serialization ? "model.safetensors.index.json" : "pytorch_model.bin.index.json", o.variant);
  // Crash safety (docs/reliability.md): every file is staged and renamed only once all are
  // complete, so a failed write changes nothing. Renames of several files are not one atomic step:
  // when this save overwrites a shard name that already exists, the old index is removed just
  // before the first rename, so a kill between two renames leaves a folder with no index that
  // fails to load loudly instead of mixing silently; the new index, renamed after the shards,
  // makes the new checkpoint visible at once.
  if (split.is_sharded()) {
    bool overwrites = false;
    for (const auto& [file, names] : split.filename_to_tensors) overwrites |= fs::exists(folder / file);
    if (overwrites) save.remove_before_publish(index_name);
  }
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [n, t] : tensors) by_name[n] = &t;
  SaveResult result;
  for (const auto& [file, names] : split.filename_to_tensors) {
    NamedTensors shard;
    shard.reserve(names.size());
    for (const auto& n : names) shard.emplace_back(n, by_name.at(n)->contiguous());
    AtomicFile& out = save.open(file);
    if (o.safe_serialization) write_safetensors(out, shard, o.metadata);
    else write_torch(out, shard);
    out.finish();  // fsync and close now: a many-shard save does not hold a descriptor per shard
    result.files.push_back(file);
  }
  if (split.is_sharded()) {
    save.write(index_name, shard_index_json(split.index()));
    result.index_file = index_name;
  }
  return result;
}

void remove_stale_shards(const std::filesystem::path& folder, const SaveResult& saved, const SaveOptions& o) {
  namespace fs = std::filesystem;
  // save_pretrained §2.5: old shards of this weights name that the new save does not rewrite.
  // Python deletes them before writing; here only once the new checkpoint is complete, so a
  // killed save leaves the old one loadable.
  std::string stem = weights_name(o);
  for (const std::string ext : {".bin", ".safetensors"})
    for (size_t at; (at = stem.find(ext)) != std::string::npos;) stem.erase(at, ext.size());
  const std::set<std::string> fresh(saved.files.begin(), saved.files.end());
  static const std::regex shard_re("(.*?)-\\d{5}-of-\\d{5}");
  for (const auto& e : fs::directory_iterator(folder)) {
    const std::string name = e.path().filename().string();
    std::string bare = name;
    for (const std::string ext : {".bin", ".safetensors"})
      for (size_t at; (at = bare.find(ext)) != std::string::npos;) bare.erase(at, ext.size());
    if (name.rfind(stem, 0) == 0 && e.is_regular_file() && !fresh.count(name) && std::regex_match(bare, shard_re))
      fs::remove(e.path());
  }
}

SaveResult save_state_dict(const std::filesystem::path& folder, const NamedTensors& tensors, const SaveOptions& o) {
  FolderSave save(folder);
  SaveResult result = stage_state_dict(save, tensors, o);
  save.commit();
  if (o.cleanup_stale_shards) remove_stale_shards(folder, result, o);
  return result;
}

}  // namespace transformers::io
