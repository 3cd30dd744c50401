#pragma once
// Sharded checkpoints: the *.index.json files, max_shard_size parsing, variant file names and the
// split of a state dict into shards, as Hugging Face does them (spec hf-modeling.md §1.2-1.3, §2.2-2.3).
#include <cstdint>
#include <filesystem>
#include <map>
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
