#pragma once
// Sharded checkpoints: the *.index.json files, max_shard_size parsing, variant file names and the
// split of a state dict into shards, as Hugging Face does them (spec hf-modeling.md §1.2-1.3, §2.2-2.3).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "transformers/io/checkpoint.hpp"

namespace transformers::io {

struct ShardIndex {
  nlohmann::json metadata = nlohmann::json::object();           // {"total_size": ..., ...}
  std::vector<std::pair<std::string, std::string>> weight_map;  // tensor -> shard file, file order
  // sorted(set(weight_map.values())), as get_checkpoint_shard_files
  std::vector<std::string> shard_files() const;
};

// Reads and validates an index: JSON object with an object `weight_map` of strings; every shard
// name must be a plain relative path that stays inside the index's folder ('..', absolute paths and
// symlinks resolving outside it are SecurityError). FormatError for anything malformed.
ShardIndex read_shard_index(const std::filesystem::path& index_file);
// The file text: json.dumps(index, indent=2, sort_keys=True) + "\n".
std::string shard_index_json(const ShardIndex& index);
void save_shard_index(const std::filesystem::path& index_file, const ShardIndex& index);  // atomic

// ---- which files a checkpoint is (written once for io::open_checkpoint and from_pretrained) ----

// Turns a file name of the checkpoint ("model.safetensors", a shard name) into a path on disk, or
// nullopt when there is no such file. For a folder: folder/name when it is a file. For a Hub repo
// id the modeling layer passes hub::resolve_file (cache, download), so shards are fetched too.
using FileLookup = std::function<std::optional<std::filesystem::path>(const std::string& name)>;

struct CheckpointFiles {
  std::vector<std::filesystem::path> files;       // the single file, or every shard (sorted names)
  std::optional<std::filesystem::path> index_file;  // the index json when sharded
  ShardIndex index;                               // its content (empty when not sharded)
};

// from_pretrained's search (spec §1.6): model[.v].safetensors, model.safetensors.index[.v].json,
// pytorch_model[.v].bin, pytorch_model.bin.index[.v].json; use_safetensors = true keeps the first
// two, false the last two. The first name `lookup` finds wins; an index is read and each of its
// shards resolved through `lookup` (FileNotFoundError naming the shard and the index when one is
// missing). nullopt when no name was found; `looked_for` (if given) receives the names tried.
std::optional<CheckpointFiles> find_checkpoint_files(const FileLookup& lookup, const OpenOptions& options = {},
                                                     std::vector<std::string>* looked_for = nullptr);
// The files of a sharded checkpoint given its index (shards through `lookup`, or beside the index
// when lookup is empty).
CheckpointFiles checkpoint_files_from_index(const std::filesystem::path& index_file, const FileLookup& lookup = {});
// Reads every tensor of `files` (shards in order), checking that each weight_map entry is in the
// shard the index names.
Checkpoint read_checkpoint(const CheckpointFiles& files);

// huggingface_hub parse_size_to_int: "5GB", "1.5GB", "30KB" (decimal units TB/GB/MB/KB only,
// case-insensitive, "5 GB" ok; "5GiB" is a ValueError). Used for PyTorch saves.
int64_t parse_size_to_int(std::string_view size);
// transformers convert_file_size_to_int (TF/Flax saves): GiB/MiB/KiB binary, GB/MB/KB decimal, a
// lowercase trailing 'b' means bits (divide by 8); integer mantissa only.
int64_t convert_file_size_to_int(std::string_view size);

// _add_variant: split at the last '.', insert the variant ("model.safetensors" -> "model.fp16.safetensors",
// "model.safetensors.index.json" -> "model.safetensors.index.fp16.json"). Empty variant: unchanged.
std::string add_variant(std::string_view name, std::string_view variant);

struct StateDictSplit {
  // Shard file name -> tensor names, in shard order (state-dict order within each).
  std::vector<std::pair<std::string, std::vector<std::string>>> filename_to_tensors;
  std::map<std::string, std::string> tensor_to_filename;
  int64_t total_size = 0;  // bytes of distinct storages
  bool is_sharded() const { return filename_to_tensors.size() > 1; }
  ShardIndex index() const;  // {"metadata": {"total_size"}, "weight_map"} for writing
};

// huggingface_hub split_state_dict_into_shards_factory: state-dict order; a tensor's size is its
// whole storage's bytes and tensors sharing a storage are counted once and put in the shard of
// the first; a tensor larger than max_shard_size gets its own shard, ahead of the one being filled.
// `filename_pattern` holds "{suffix}", e.g. "model{suffix}.safetensors"; with one shard the
// suffix is empty, else "-%05d-of-%05d".
StateDictSplit split_state_dict_into_shards(const NamedTensors& tensors, int64_t max_shard_size,
                                            std::string_view filename_pattern = "model{suffix}.safetensors");

}  // namespace transformers::io
