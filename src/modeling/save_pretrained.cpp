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
#include "transformers/core/quote.hpp"
#include "transformers/hub/push_to_hub.hpp"
#include "transformers/io/atomic_file.hpp"
#include "transformers/io/safetensors.hpp"
#include "transformers/io/shard_index.hpp"
#include "transformers/io/torch_pickle.hpp"
#include "modeling/bnb_quantizer.hpp"
#include "modeling/tf_flax_load.hpp"
#include "transformers/modeling/modeling_utils.hpp"

namespace transformers {

namespace fs = std::filesystem;

namespace {

using Named = std::vector<std::pair<std::string, Tensor>>;

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

// save_pretrained(push_to_hub=true), after the save: the tagged model card into the folder, then one
// commit of the files this save wrote.
void push_saved_folder(PreTrainedModel& model, const std::string& dir, const io::SaveResult& saved,
                       const SavePretrainedOptions& opts) {
  hub::PushToHubOptions po = opts.push_options;
  if (opts.token) po.token = opts.token;
  std::string repo_id = opts.repo_id;
  if (repo_id.empty()) repo_id = fs::path(dir).lexically_normal().filename().string();  // Python: the folder's last part
  if (repo_id.empty()) repo_id = fs::path(dir).lexically_normal().parent_path().filename().string();  // "out/"
  hub::HubOptions ho;
  ho.token = po.token;
  ho.endpoint = po.endpoint;
  ho.proxies = po.proxies;
  ho.cache_dir = po.cache_dir;
  // 4.51 creates the repo first (_create_repo), so the card lookup below finds it
  hub::create_repo(repo_id, {.private_repo = po.private_repo, .exist_ok = true, .hub = ho});
  io::write_file_atomic(fs::path(dir) / "README.md", hub::create_and_tag_model_card(repo_id, model.model_tags(), ho));
  // _upload_modified_files: what this save wrote (weights, index, configs) and the card.
  po.files = saved.files;
  if (saved.index_file) po.files.push_back(*saved.index_file);
  if (opts.is_main_process) {
    if (model.can_generate()) po.files.push_back("generation_config.json");
    po.files.push_back("config.json");
  }
  po.files.push_back("README.md");
  hub::push_folder_to_hub(dir, repo_id, po, model.name());
}

}  // namespace

void PreTrainedModel::save_pretrained(const std::string& dir, const SavePretrainedOptions& opts) {
  std::error_code ec;
  // 1. a file in the way: 4.51 logs an error and returns without saving
  if (fs::is_regular_file(dir, ec)) {
    logging::get_logger("transformers.modeling_utils").error("Provided path (" + dir + ") should be a directory, not a file");
    return;
  }
  // The folder is locked for the whole save and every file is staged: nothing in it changes until
  // all files are complete (a full disk leaves the old checkpoint loadable), then the weights are
  // renamed into place first, the index and configs last (docs/reliability.md).
  // Weights kept block-quantized (keep_quantized, beyond 4.51) have no safetensors / torch / TF /
  // Flax dtype: refuse before anything is written instead of writing a file nobody can load.
  for (const auto& [name, p] : named_parameters())
    if (::transformers::is_quantized(p.dtype()))
      throw ValueError("save_pretrained(" + quote_input(dir) + "): parameter " + quote_input(name) + " is " +
                       std::string(dtype_name(p.dtype())) +
                       " (kept quantized); safetensors, PyTorch, TF and Flax files store float weights: load "
                       "the model without keep_quantized to save it, or write GGUF (save_gguf)");
  io::FolderSave save(dir);

  // 4-5. the config records the dtype and class
  config().set_torch_dtype(dtype());
  config().set("architectures", json::array({name()}));

  // 6. generation parameters misplaced on the model config (4.51's _get_global_generation_defaults,
  // at a non-default value) move to the generation config
  if (opts.is_main_process && can_generate()) {
    auto gen = generation_config();
    json misplaced = json::object();
    for (auto& [k, def] : global_generation_defaults().items()) {
      auto it = config().raw().find(k);
      if (it != config().raw().end() && !it->is_null() && *it != def) misplaced[k] = *it;
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

  // 8-10. the state dict to write
  Named state = opts.state_dict ? *opts.state_dict : state_dict();
  if (!opts.state_dict) modeling_detail::add_bnb_state_entries(*this, state);  // bitsandbytes statistics
  const auto ignore = keys_to_ignore_on_save();
  std::erase_if(state, [&](const auto& kv) { return std::find(ignore.begin(), ignore.end(), kv.first) != ignore.end(); });

  // 11. safetensors cannot hold aliases
  if (opts.safe_serialization) remove_shared_aliases(*this, state);

  // 12-15. shards and index through the io layer's crash-safe ordering: the old index is removed
  // before the first rename when shard names are overwritten, so a killed save never leaves old and
  // new shards that load together; stale shards are removed only after the commit. Only the main
  // process writes configs and cleans up.
  const std::variant<int64_t, std::string> max_shard_size =
      opts.max_shard_size.value_or(std::string(opts.format == "flax" ? "10GB" : "5GB"));
  const io::SaveOptions so{.max_shard_size = max_shard_size,
                           .safe_serialization = opts.safe_serialization,
                           .variant = opts.variant,
                           .metadata = {{"format", "pt"}},
                           .cleanup_stale_shards = opts.is_main_process};
  io::SaveResult saved;
  std::optional<detail::FrameworkSave> framework;
  if (opts.format == "pt") {
    saved = io::stage_state_dict(save, state, so);
  } else {  // TF / Flax: those frameworks' names and shards (src/modeling/tf_flax_save.cpp)
    const int64_t max_shard = std::holds_alternative<int64_t>(max_shard_size)
                                  ? std::get<int64_t>(max_shard_size)
                                  : io::convert_file_size_to_int(std::get<std::string>(max_shard_size));
    framework = detail::framework_weights_files(*this, state, opts.format, max_shard);
    for (const auto& [file, bytes] : framework->files) {
      save.write(file, bytes);
      saved.files.push_back(file);
    }
    if (framework->index) {  // staged after the shards, so renamed after them
      save.write(framework->index_name, io::shard_index_json(*framework->index));
      saved.index_file = framework->index_name;
    }
  }
  // 7. config files (main process only), renamed after the weights
  if (opts.is_main_process) {
    if (can_generate()) save.write("generation_config.json", generation_config()->to_json_string(true));
    save.write("config.json", config().to_json_string(true));
  }
  save.commit();
  // (PyTorch's shard cleanup only after a PyTorch save: a TF / Flax save leaves model-0000k-of-0000n
  // files alone, as 4.51 does)
  if (so.cleanup_stale_shards && framework) detail::remove_stale_framework_files(dir, *framework);
  else if (so.cleanup_stale_shards) io::remove_stale_shards(dir, saved, so);
  if (opts.push_to_hub) push_saved_folder(*this, dir, saved, opts);
}

void PreTrainedModel::add_model_tags(const std::vector<std::string>& tags) {
  for (const auto& t : tags)
    if (std::find(model_tags_.begin(), model_tags_.end(), t) == model_tags_.end()) model_tags_.push_back(t);
}

}  // namespace transformers
