// load_sharded_checkpoint (4.51 modeling_utils): a sharded checkpoint into an existing module,
// shard by shard, through nn::Module::load_state_dict.
#include <filesystem>
#include <map>
#include <set>

#include "transformers/io/checkpoint.hpp"
#include "transformers/io/shard_index.hpp"
#include "transformers/modeling/modeling_utils.hpp"

namespace transformers {

namespace fs = std::filesystem;

nn::LoadStateDictResult load_sharded_checkpoint(nn::Module& model, const std::string& folder, bool strict,
                                                bool prefer_safe) {
  const fs::path index_file = fs::path(folder) / "pytorch_model.bin.index.json";
  const fs::path safe_index_file = fs::path(folder) / "model.safetensors.index.json";
  std::error_code ec;
  const bool index_present = fs::is_regular_file(index_file, ec);
  const bool safe_index_present = fs::is_regular_file(safe_index_file, ec);
  if (!index_present && !safe_index_present)
    throw ValueError("Can't find a checkpoint index (pytorch_model.bin.index.json or model.safetensors.index.json) in " +
                     folder + ".");
  const bool load_safe = safe_index_present && (prefer_safe || !index_present);
  const io::ShardIndex index = io::read_shard_index(load_safe ? safe_index_file : index_file);

  // Checked before any shard is read, as 4.51 does.
  nn::LoadStateDictResult r;
  std::set<std::string> loaded_keys, model_keys;
  for (const auto& [k, shard] : index.weight_map) loaded_keys.insert(k);
  for (const auto& [k, t] : model.state_dict()) {
    model_keys.insert(k);
    if (!loaded_keys.count(k)) r.missing_keys.push_back(k);
  }
  for (const auto& [k, shard] : index.weight_map)
    if (!model_keys.count(k)) r.unexpected_keys.push_back(k);
  if (strict && (!r.missing_keys.empty() || !r.unexpected_keys.empty())) {
    auto list = [](const std::vector<std::string>& keys) {
      std::string s;
      for (const auto& k : keys) s += (s.empty() ? "\"" : ",\"") + k + "\"";
      return s;
    };
    std::string msg = "Error(s) in loading state_dict for " + model.name() + " from '" + folder + "'";
    if (!r.missing_keys.empty()) msg += "; Missing key(s): " + list(r.missing_keys) + ".";
    if (!r.unexpected_keys.empty()) msg += "; Unexpected key(s): " + list(r.unexpected_keys) + ".";
    throw KeyError(msg);
  }
  // One shard in memory at a time (the readers map the file; the tensors are copied into the model).
  for (const auto& shard : index.shard_files()) {
    const auto reader = io::open_checkpoint_file(fs::path(folder) / shard);
    std::map<std::string, Tensor> state;
    for (const auto& k : reader->keys()) state.emplace(k, reader->get_tensor(k));
    model.load_state_dict(state, /*strict=*/false);
  }
  return r;
}

}  // namespace transformers
