// Several files at once: snapshot_download over a list, and download_repo for `transformers-cli download`.
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "transformers/io/json_file.hpp"

#include "cache_layout.hpp"

namespace fs = std::filesystem;

namespace transformers::hub {
namespace {

// The snapshot folder is the parent of the file at depth(rel) below it.
std::string snapshot_dir_of(const std::string& pointer, const std::string& rel) {
  fs::path p(pointer);
  const fs::path r(rel);
  for (auto it = r.begin(); it != r.end(); ++it) p = p.parent_path();
  return p.string();
}

}  // namespace

std::string snapshot_download(const std::string& repo_id, const std::vector<std::string>& filenames,
                              const HubOptions& opts) {
  std::string dir;
  for (const auto& f : filenames) {
    std::string p = hf_hub_download(repo_id, f, opts);
    dir = snapshot_dir_of(p, detail::repo_path(f, opts));
  }
  if (dir.empty()) throw ValueError("snapshot_download of '" + repo_id + "': the list of files is empty");
  return dir;
}

DownloadResult download_repo(const std::string& repo_id, const HubOptions& in) {
  HubOptions opts = in;
  if (opts.revision.empty()) opts.revision = "main";
  DownloadResult out;
  auto record = [&](const std::string& f, const std::string& path) {
    out.files.push_back(f);
    if (out.snapshot_dir.empty()) {
      out.snapshot_dir = snapshot_dir_of(path, detail::repo_path(f, opts));
      out.commit_hash = fs::path(out.snapshot_dir).filename().string();
    }
  };
  // config.json first, required: its absence means this is not a transformers model repo.
  record("config.json", hf_hub_download(repo_id, "config.json", opts));
  // Once the commit is known, pin it so every file comes from the same snapshot.
  HubOptions pinned = opts;
  if (!out.commit_hash.empty() && is_commit_hash(out.commit_hash)) pinned.revision = out.commit_hash;
  auto optional_file = [&](const std::string& f) -> bool {
    auto p = resolve_file(repo_id, f, pinned);
    if (p) record(f, *p);
    return p.has_value();
  };
  for (const char* f : {"generation_config.json", "tokenizer_config.json", "tokenizer.json", "special_tokens_map.json",
                        "added_tokens.json", "vocab.json", "vocab.txt", "merges.txt", "tokenizer.model",
                        "spiece.model", "sentencepiece.bpe.model"})
    optional_file(f);
  // Weights: one file, else the index then each shard it names (safetensors before pickle).
  for (const auto& [single, index] : {std::pair<std::string, std::string>{"model.safetensors", "model.safetensors.index.json"},
                                      {"pytorch_model.bin", "pytorch_model.bin.index.json"}}) {
    if (optional_file(single)) return out;
    auto idx = resolve_file(repo_id, index, pinned);
    if (!idx) continue;
    record(index, *idx);
    const nlohmann::json j = io::read_json_file(*idx, {.what = "shard index", .max_bytes = io::kShardIndexMaxBytes});
    if (!j.contains("weight_map") || !j["weight_map"].is_object())
      throw FormatError("Shard index '" + index + "' of " + repo_id + " has no \"weight_map\" object");
    std::set<std::string> shards;
    for (const auto& [name, file] : j["weight_map"].items()) {
      if (!file.is_string()) throw FormatError("Shard index '" + index + "': weight_map[\"" + name + "\"] is not a string");
      shards.insert(file.get<std::string>());
    }
    for (const auto& s : shards) record(s, hf_hub_download(repo_id, s, pinned));
    return out;
  }
  throw FileNotFoundError(repo_id + " (revision " + opts.revision +
                          ") has no model.safetensors, model.safetensors.index.json, pytorch_model.bin or "
                          "pytorch_model.bin.index.json");
}

}  // namespace transformers::hub
