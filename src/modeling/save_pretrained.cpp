// PreTrainedModel::save_pretrained as transformers 4.51 does it (spec hf-modeling.md §2): config and
// generation config, state dict minus ignored keys, tied-weight aliases removed for safetensors,
// shards by max_shard_size through the io layer, stale shards of an older save removed, index.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <regex>
#include <set>

#include "transformers/core/logging.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/io/shard_index.hpp"
#include "transformers/io/torch_pickle.hpp"
#include "transformers/modeling/modeling_utils.hpp"

namespace transformers {

namespace fs = std::filesystem;

namespace {

using Named = std::vector<std::pair<std::string, Tensor>>;

// PretrainedConfig._get_global_generation_defaults (4.51): generation parameters that may still
// sit on a model config; non-default ones move to the generation config when saving.
const char* const kLegacyGenerationParams[] = {
    "max_length", "min_length", "do_sample", "early_stopping", "num_beams", "num_beam_groups",
    "diversity_penalty", "temperature", "top_k", "top_p", "typical_p", "repetition_penalty", "length_penalty",
    "no_repeat_ngram_size", "encoder_no_repeat_ngram_size", "bad_words_ids", "num_return_sequences",
    "output_scores", "return_dict_in_generate", "forced_bos_token_id", "forced_eos_token_id",
    "remove_invalid_values", "exponential_decay_length_penalty", "suppress_tokens", "begin_suppress_tokens"};

// byte range of a tensor's elements in its storage, as data_ptr() .. data_ptr() + numel*size
std::pair<uintptr_t, uintptr_t> byte_area(const Tensor& t) {
  const uintptr_t start = reinterpret_cast<uintptr_t>(t.storage()->data()) + uintptr_t(t.storage_offset()) * t.element_size();
  return {start, t.numel() ? start + uintptr_t(t.numel()) * t.element_size() : start};
}

// §2.4: drop the names of tied weights so that every storage is written once.
void remove_shared_aliases(PreTrainedModel& model, Named& state) {
  // 1. groups of names sharing a storage (insertion order of first sight)
  std::vector<std::pair<const Storage*, std::vector<std::string>>> groups;
  std::map<const Storage*, size_t> group_of;
  for (auto& [n, t] : state) {
    if (!t.defined()) continue;
    auto [it, fresh] = group_of.emplace(t.storage().get(), groups.size());
    if (fresh) groups.push_back({t.storage().get(), {}});
    groups[it->second].second.push_back(n);
  }
  // 2. tied patterns: _tied_weights_keys of every PreTrainedModel in the tree, prefixed by its path
  std::vector<std::regex> patterns;
  for (auto& [path, m] : model.named_modules())
    if (auto* pm = dynamic_cast<PreTrainedModel*>(m))
      for (auto& k : pm->tied_weights_keys()) {
        try {
          patterns.emplace_back(path.empty() ? k : path + "." + k);
        } catch (const std::regex_error& e) {
          throw ValueError("_tied_weights_keys entry '" + k + "' is no valid regular expression: " + e.what());
        }
      }
  auto index_of = [&](const std::string& n) -> Tensor& {
    for (auto& [k, t] : state)
      if (k == n) return t;
    throw KeyError(n);
  };
  // 3. names to delete: within each shared group, in sorted order, matching names except the last one
  std::set<std::string> to_delete;
  std::vector<std::vector<std::string>> shared;
  for (auto& [s, names] : groups) {
    if (names.size() < 2) continue;
    shared.push_back(names);
    std::vector<std::string> sorted = names;
    std::sort(sorted.begin(), sorted.end());
    size_t found = 0;
    for (auto& n : sorted) {
      bool matches = false;
      for (auto& re : patterns)
        if (std::regex_search(n, re)) matches = true;
      if (!matches) continue;
      ++found;
      if (found < names.size()) to_delete.insert(n);
    }
  }
  // 4. _find_disjoint: members not overlapping their predecessor are cloned apart
  std::vector<std::vector<std::string>> overlapping;
  for (auto& names : shared) {
    std::vector<std::tuple<uintptr_t, uintptr_t, std::string>> areas;
    for (auto& n : names) {
      auto [a, b] = byte_area(index_of(n));
      areas.emplace_back(a, b, n);
    }
    std::sort(areas.begin(), areas.end());
    std::vector<std::vector<std::string>> filtered{{std::get<2>(areas[0])}};
    uintptr_t last_stop = std::get<1>(areas[0]);
    for (size_t i = 1; i < areas.size(); ++i) {
      auto& [start, stop, n] = areas[i];
      if (start >= last_stop)
        filtered.push_back({n});
      else
        filtered.back().push_back(n);
      last_stop = stop;
    }
    for (auto& f : filtered) {
      if (f.size() == 1)
        index_of(f[0]) = index_of(f[0]).clone();
      else
        overlapping.push_back(f);
    }
  }
  // 5. _find_identical: identical areas lose their marked names; anything else is an error
  std::vector<std::vector<std::string>> errors;
  std::set<std::string> deleted;
  for (auto& names : overlapping) {
    std::set<std::pair<uintptr_t, uintptr_t>> areas;
    for (auto& n : names) areas.insert(byte_area(index_of(n)));
    if (areas.size() != 1) {
      errors.push_back(names);
      continue;
    }
    std::vector<std::string> unknown;
    for (auto& n : names) {
      if (to_delete.count(n))
        deleted.insert(n);
      else
        unknown.push_back(n);
    }
    if (unknown.size() > 1) errors.push_back(unknown);
  }
  if (!errors.empty()) {
    std::string list;
    for (auto& g : errors) {
      list += list.empty() ? "[" : ", [";
      for (size_t i = 0; i < g.size(); ++i) list += (i ? ", " : "") + g[i];
      list += "]";
    }
    throw ValueError("The weights trying to be saved contained shared tensors " + list +
                     " that are mismatching the transformers base configuration. Try saving using "
                     "safe_serialization=false or remove this tensor sharing.");
  }
  std::erase_if(state, [&](const auto& kv) { return deleted.count(kv.first) > 0; });
}

}  // namespace

void PreTrainedModel::save_pretrained(const std::string& dir, const SavePretrainedOptions& opts) {
  std::error_code ec;
  // 1. a file in the way: 4.51 logs an error and returns without saving
  if (fs::is_regular_file(dir, ec)) {
    logging::get_logger("transformers.modeling_utils").error("Provided path (" + dir + ") should be a directory, not a file");
    return;
  }
  fs::create_directories(dir, ec);
  if (ec) throw EnvironmentError("cannot create directory '" + dir + "': " + ec.message());

  // 4-5. the config records the dtype and class
  config().set_torch_dtype(dtype());
  config().set("architectures", json::array({name()}));

  // 7. config files (main process only)
  if (opts.is_main_process) {
    if (can_generate()) {
      auto gen = generation_config();
      json misplaced = json::object();
      const json base = base_config_defaults();
      for (const char* k : kLegacyGenerationParams) {
        auto it = config().raw().find(k);
        if (it != config().raw().end() && !it->is_null() && *it != base.at(k)) misplaced[k] = *it;
      }
      if (!misplaced.empty()) {
        logging::get_logger("transformers.modeling_utils")
            .warning("Moving the following attributes in the config to the generation config: " + misplaced.dump() +
                     ". You are seeing this warning because you've set generation parameters in the model config, "
                     "as opposed to in the generation config.");
        for (auto& [k, v] : misplaced.items()) {
          gen->set(k, v);
          config().raw()[k] = nullptr;
        }
      }
    }
    config().save_pretrained(dir);
    if (can_generate()) generation_config()->save_pretrained(dir);
  }

  // 8-10. the state dict to write
  Named state = opts.state_dict ? *opts.state_dict : state_dict();
  const auto ignore = keys_to_ignore_on_save();
  std::erase_if(state, [&](const auto& kv) { return std::find(ignore.begin(), ignore.end(), kv.first) != ignore.end(); });

  // 11. safetensors cannot hold aliases
  if (opts.safe_serialization) remove_shared_aliases(*this, state);

  // 12-15. shards, stale-shard cleanup and index, through the io layer's crash-safe ordering
  // (docs/reliability.md): every file written atomically, the new index last, stale shards removed
  // only after it, and the old index removed first when shard names are overwritten, so a killed
  // save never leaves old and new shards that load together. Only the main process cleans up.
  io::save_state_dict(dir, state,
                      {.max_shard_size = opts.max_shard_size,
                       .safe_serialization = opts.safe_serialization,
                       .variant = opts.variant,
                       .metadata = {{"format", "pt"}},
                       .cleanup_stale_shards = opts.is_main_process});
}

}  // namespace transformers
