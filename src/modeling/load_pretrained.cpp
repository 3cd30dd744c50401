// from_pretrained as transformers 4.51 does it (spec hf-modeling.md §1.6, §3.3, §4, §5.1): resolve
// config and checkpoint files, pick the dtype, build the model, map checkpoint keys to model keys
// (legacy renames, key_mapping, base_model_prefix), report missing / unexpected / mismatched keys,
// initialise what the checkpoint lacks, and hand the (mapped) tensors to the model without copies.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "config_size_check.hpp"
#include "loading_report.hpp"
#include "modeling/construct_model.hpp"
#include "modeling/disk_offload.hpp"
#include "transformers/core/quote.hpp"
#include "modeling/bnb_quantizer.hpp"
#include "modeling/gguf_load.hpp"
#include "modeling/int8_compute.hpp"
#include "modeling/tf_flax_load.hpp"
#include "transformers/io/checkpoint.hpp"
#include "transformers/io/shard_index.hpp"
#include "transformers/hub/hub.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/ops/random.hpp"

namespace transformers {

namespace fs = std::filesystem;

void DTypeArg::parse(const std::string& name) {
  if (name == "auto") {
    is_auto = true;
    return;
  }
  dtype = dtype_from_name(name);
}

json LoadingInfo::to_json() const {
  json mism = json::array();
  for (auto& m : mismatched_keys) mism.push_back(json::array({m.key, m.checkpoint_shape, m.model_shape}));
  return json{{"missing_keys", missing_keys},
              {"unexpected_keys", unexpected_keys},
              {"mismatched_keys", mism},
              {"error_msgs", error_msgs}};
}

// ---------------------------------------------------------------------------------------------
// checkpoint resolution (§1.6)

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

ResolvedCheckpoint to_resolved(const io::CheckpointFiles& cf) {
  ResolvedCheckpoint r;
  for (auto& f : cf.files) r.files.push_back(f.string());
  if (cf.index_file) {
    r.index_file = cf.index_file->string();
    r.index_metadata = cf.index.metadata;
  }
  return r;
}

}  // namespace

ResolvedCheckpoint resolve_checkpoint_files(const std::string& path, const FromPretrainedOptions& opts) {
  std::error_code ec;
  const std::string& subfolder = opts.hub.subfolder;
  const fs::path as_file = subfolder.empty() ? fs::path(path) : fs::path(subfolder) / path;
  if (!fs::is_directory(path, ec) && fs::is_regular_file(as_file, ec)) {
    // A single file is used as is (an index json is accepted too, as a convenience).
    if (ends_with(as_file.filename().string(), ".json")) return to_resolved(io::checkpoint_files_from_index(as_file));
    ResolvedCheckpoint r;
    r.files.push_back(as_file.string());
    return r;
  }
  // One search for folders and repo ids: each name (and each shard of an index) goes through
  // hub::resolve_file, which answers folder/subfolder/name for a folder and the cache (downloading
  // unless offline) for a repo id.
  auto lookup = [&](const std::string& name) -> std::optional<fs::path> {
    if (auto f = hub::resolve_file(path, name, opts.hub)) return fs::path(*f);
    return std::nullopt;
  };
  // 4.51 looks for the framework files first when asked to (TF 1 checkpoints, model.ckpt.index,
  // are not read). Their sharded indexes are what 4.51's TF / Flax classes load; accepted here too.
  auto framework_file = [&](const std::string& single, const std::string& index) -> std::optional<ResolvedCheckpoint> {
    if (auto f = lookup(single)) return to_resolved(io::CheckpointFiles{.files = {*f}});
    if (auto f = lookup(index)) return to_resolved(io::checkpoint_files_from_index(*f, lookup));
    return std::nullopt;
  };
  if (opts.from_tf) {
    if (lookup("model.ckpt.index") && !lookup("tf_model.h5"))
      throw UnsupportedError("'" + path + "' holds a TensorFlow 1 checkpoint (model.ckpt.index), which cannot be "
                             "read; expected tf_model.h5 (TensorFlow 2 / Keras weights)");
    if (auto r = framework_file("tf_model.h5", "tf_model.h5.index.json")) return *r;
  }
  if (opts.from_flax)
    if (auto r = framework_file("flax_model.msgpack", "flax_model.msgpack.index.json")) return *r;
  std::vector<std::string> looked_for;
  if (auto cf = io::find_checkpoint_files(lookup, {.variant = opts.variant, .use_safetensors = opts.use_safetensors},
                                          &looked_for))
    return to_resolved(*cf);
  const std::string& v = opts.variant;
  const std::string safe = io::add_variant("model.safetensors", v);
  const std::string where = subfolder.empty() ? path : (fs::path(path) / subfolder).string();
  std::string listed;
  for (auto& n : looked_for) listed += (listed.empty() ? "" : ", ") + n;
  std::string msg;
  const bool has_tf = lookup("tf_model.h5") || lookup("model.ckpt.index");
  if (!opts.use_safetensors.value_or(false) && has_tf)  // 4.51's messages, word for word
    msg = "Error no file named " + io::add_variant("pytorch_model.bin", v) + " found in directory " + where +
          " but there is a file for TensorFlow weights. Use `from_tf=True` to load this model from those weights.";
  else if (!opts.use_safetensors.value_or(false) && lookup("flax_model.msgpack"))
    msg = "Error no file named " + io::add_variant("pytorch_model.bin", v) + " found in directory " + where +
          " but there is a file for Flax weights. Use `from_flax=True` to load this model from those weights.";
  else if (opts.use_safetensors.value_or(false))
    msg = "Error no file named " + safe + " found in directory " + where + " (looked for, in order: " + listed + ")";
  else
    msg = "Error no file named " + listed + " found in directory " + where + ".";
  if (!v.empty() && (lookup("model.safetensors") || lookup("pytorch_model.bin")))
    msg += " Use a variant that exists or load the file without the variant " + v + ".";
  throw FileNotFoundError(msg);
}

// ---------------------------------------------------------------------------------------------
// checkpoint key bookkeeping

namespace {

// What one checkpoint tensor is, without reading it.
struct CkptEntry {
  std::string key;
  std::optional<DType> dtype;
  Shape shape;
  int source = -1;  // reader index, or -1 for an in-memory state dict
};

struct CheckpointSource {
  std::vector<std::shared_ptr<io::CheckpointReader>> readers;
  std::vector<CkptEntry> entries;  // checkpoint order
  std::map<std::string, Tensor> in_memory;

  Tensor get(const CkptEntry& e) const {
    if (e.source < 0) return in_memory.at(e.key);
    return readers[size_t(e.source)]->get_tensor(e.key);
  }
};

void check_safetensors_format(const io::CheckpointReader& r) {
  if (r.format() != "safetensors") return;
  auto it = r.metadata().find("format");
  if (it == r.metadata().end()) return;
  const std::string& f = it->second;
  if (f != "pt" && f != "tf" && f != "flax" && f != "mlx")
    throw FormatError("The safetensors archive passed at " + r.path() +
                      " does not contain the valid metadata. Make sure you save your model with the "
                      "save_pretrained method (found format '" + f + "', expected pt, tf, flax or mlx)");
}

CheckpointSource open_source(const ResolvedCheckpoint& rc) {
  CheckpointSource src;
  std::map<std::string, size_t> file_of_shard;
  for (auto& f : rc.files) {
    src.readers.push_back(std::shared_ptr<io::CheckpointReader>(io::open_checkpoint_file(f)));
    check_safetensors_format(*src.readers.back());
  }
  auto add = [&](const std::string& key, size_t reader) {
    const io::TensorEntry te = src.readers[reader]->entry(key);
    src.entries.push_back({key, te.dtype, te.shape, int(reader)});
  };
  if (!rc.index_file.empty()) {
    const io::ShardIndex idx = io::read_shard_index(rc.index_file);
    std::map<std::string, size_t> reader_of;
    for (size_t i = 0; i < rc.files.size(); ++i) reader_of[fs::path(rc.files[i]).filename().string()] = i;
    for (auto& [key, shard] : idx.weight_map) {
      const size_t r = reader_of.at(shard);
      if (!src.readers[r]->contains(key))
        throw FormatError("index " + rc.index_file + " maps '" + key + "' to " + shard + ", which does not hold it");
      add(key, r);
    }
  } else {
    for (size_t r = 0; r < src.readers.size(); ++r)
      for (auto& key : src.readers[r]->keys()) add(key, r);
  }
  return src;
}

// A checkpoint tensor converted to the load dtype (low_cpu_mem_usage's streaming): a large one in
// blocks of rows, the file's pages of each block given back once converted, so a cast load peaks
// near the converted model plus one block, not the checkpoint plus the model.
Tensor cast_releasing_source(const Tensor& src, DType want) {
  constexpr int64_t kBlockBytes = int64_t(16) << 20;
  if (src.dim() == 0 || src.size(0) < 2 || int64_t(src.nbytes()) <= kBlockBytes || !src.is_contiguous()) {
    Tensor t = src.to(want, {.prefault = true});
    modeling_detail::release_mapped_pages(src);
    return t;
  }
  const int64_t rows = src.size(0);
  const int64_t per = std::max<int64_t>(1, kBlockBytes / std::max<int64_t>(1, int64_t(src.nbytes()) / rows));
  Tensor out = Tensor::empty(src.sizes(), want);
  for (int64_t r = 0; r < rows; r += per) {
    const int64_t n = std::min(per, rows - r);
    const Tensor piece = src.narrow(0, r, n);
    Tensor dst = out.narrow(0, r, n);
    dst.copy_(piece);
    modeling_detail::release_mapped_pages(piece);
  }
  return out;
}

// _fix_state_dict_key_on_load (4.51: suffix-only legacy names; torch >= 2.1 weight_norm names).
std::string fix_key_on_load(const std::string& key) {
  auto replace_suffix = [&](const std::string& from, const std::string& to) {
    return key.substr(0, key.size() - from.size()) + to;
  };
  if (ends_with(key, "LayerNorm.beta")) return replace_suffix("LayerNorm.beta", "LayerNorm.bias");
  if (ends_with(key, "LayerNorm.gamma")) return replace_suffix("LayerNorm.gamma", "LayerNorm.weight");
  if (ends_with(key, "weight_g")) return replace_suffix("weight_g", "parametrizations.weight.original0");
  if (ends_with(key, "weight_v")) return replace_suffix("weight_v", "parametrizations.weight.original1");
  return key;
}

// Python's re.sub replacement: \1 and \g<1> become $1 for std::regex.
std::string python_replacement(const std::string& r) {
  std::string out;
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i] == '\\' && i + 1 < r.size() && std::isdigit(static_cast<unsigned char>(r[i + 1]))) {
      out += '$';
      out += r[++i];
    } else if (r[i] == '\\' && r.compare(i, 3, "\\g<") == 0) {
      const size_t end = r.find('>', i);
      if (end == std::string::npos) throw ValueError("key_mapping: bad group reference in replacement '" + r + "'");
      out += '$' + r.substr(i + 3, end - i - 3);
      i = end;
    } else if (r[i] == '$') {
      out += "$$";
    } else {
      out += r[i];
    }
  }
  return out;
}

std::regex compile_regex(const std::string& pattern, const char* what) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw ValueError(std::string(what) + ": invalid regular expression '" + pattern + "': " + e.what());
  }
}

bool search_any(const std::vector<std::regex>& patterns, const std::string& s) {
  for (auto& re : patterns)
    if (std::regex_search(s, re)) return true;
  return false;
}

// Groups of parameter names that are the same tensor (accelerate's find_tied_parameters), in
// order of first appearance. Candidates are bucketed by storage (was all pairs compared).
std::vector<std::vector<std::string>> tied_parameter_groups(const PreTrainedModel& model) {
  std::vector<std::pair<Tensor, std::vector<std::string>>> groups;
  std::unordered_map<const Storage*, std::vector<size_t>> by_storage;
  for (auto& [name, t] : model.named_parameters("", true, false)) {
    std::vector<size_t>& candidates = by_storage[t.storage().get()];
    bool placed = false;
    for (size_t g : candidates)
      if (groups[g].first.is_same(t)) {
        groups[g].second.push_back(name);
        placed = true;
        break;
      }
    if (!placed) {
      candidates.push_back(groups.size());
      groups.push_back({t, {name}});
    }
  }
  std::vector<std::vector<std::string>> out;
  for (auto& [rep, names] : groups)
    if (names.size() > 1) out.push_back(names);
  return out;
}

// post-order walk (torch's Module.apply: children first)
void apply_post_order(nn::Module& m, const std::string& prefix,
                      const std::function<void(nn::Module&, const std::string&)>& fn) {
  for (auto& [n, c] : m.named_children()) apply_post_order(*c, prefix.empty() ? n : prefix + "." + n, fn);
  fn(m, prefix);
}

// §4.5: a module counts as initialised when all its state-dict keys were loaded; the others get
// the model's init_weights (post-order), before the loaded tensors are put in place. `state_keys`
// is the model's state_dict() key list: a module is incomplete when some key under its prefix was
// not loaded (one pass over the keys; asking each module for its own state_dict was quadratic in
// depth and 20 % of a GPT-2 load).
void initialize_missing(PreTrainedModel& model, const std::vector<std::string>& state_keys,
                        const std::set<std::string>& loaded_keys, bool ignore_mismatched, std::optional<uint64_t> seed) {
  if (seed) ops::default_generator().manual_seed(*seed);
  std::set<const nn::Module*> initialised;
  if (!ignore_mismatched) {
    std::unordered_set<std::string_view> incomplete;  // module names ("" = the model)
    for (const std::string& k : state_keys) {
      if (loaded_keys.count(k)) continue;
      incomplete.insert(std::string_view());
      for (size_t dot = k.find('.'); dot != std::string::npos; dot = k.find('.', dot + 1))
        incomplete.insert(std::string_view(k).substr(0, dot));
    }
    for (auto& [name, mod] : model.named_modules())
      if (!incomplete.count(name)) initialised.insert(mod);
    if (model.config().tie_word_embeddings()) {
      nn::Module* out = model.get_output_embeddings();
      if (out) {
        Tensor* b = out->find_parameter("bias");
        if (!b || !b->defined()) initialised.insert(out);
      }
    }
  }
  std::set<const nn::Module*> done;
  apply_post_order(model, "", [&](nn::Module& m, const std::string&) {
    if (initialised.count(&m) || done.count(&m)) return;
    model.init_weights(m);
    done.insert(&m);
  });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// the key mapping + missing/unexpected/mismatched logic (§4.2-4.4), shared by state dicts and files

namespace {

LoadingInfo load_entries(PreTrainedModel& model, const CheckpointSource& src, bool ignore_mismatched,
                         const std::vector<std::pair<std::string, std::string>>& key_mapping,
                         std::optional<uint64_t> seed, std::optional<DType> float_dtype = std::nullopt,
                         modeling_detail::OffloadFolderWriter* offload = nullptr) {
  const std::string prefix = model.base_model_prefix();
  bool has_prefix_module = false;
  if (!prefix.empty())
    for (auto& e : src.entries)
      if (starts_with(e.key, prefix)) {
        has_prefix_module = true;
        break;
      }
  nn::Module* prefix_module = prefix.empty() ? nullptr : model.find_module(prefix);
  const bool expects_prefix_module = prefix_module != nullptr && prefix_module != &model;
  const bool task_from_base = !has_prefix_module && expects_prefix_module;
  const bool base_from_task = has_prefix_module && !expects_prefix_module;
  const std::string start_prefix = prefix + ".";

  std::vector<std::pair<std::regex, std::string>> mapping;
  for (auto& [pat, rep] : key_mapping) mapping.emplace_back(compile_regex(pat, "key_mapping"), python_replacement(rep));

  // checkpoint entry index -> model key
  std::vector<std::pair<size_t, std::string>> renamed;
  std::vector<std::string> original_keys;
  for (size_t i = 0; i < src.entries.size(); ++i) {
    const std::string& key = src.entries[i].key;
    original_keys.push_back(key);
    std::string k = fix_key_on_load(key);
    for (auto& [re, rep] : mapping) {
      if (!std::regex_search(k, re)) continue;
      k = std::regex_replace(k, re, rep);
      break;
    }
    if (task_from_base) {
      k = prefix + "." + k;
    } else if (base_from_task) {
      if (!starts_with(k, start_prefix)) continue;
      k = k.substr(start_prefix.size());
    }
    renamed.emplace_back(i, k);
  }

  // expected keys: the full model's state dict (both names of tied weights)
  std::vector<std::string> expected;
  std::map<std::string, Shape> expected_shape;
  for (auto& [k, t] : model.state_dict()) {
    expected.push_back(k);
    expected_shape[k] = t.sizes();
  }
  std::set<std::string> ckpt_keys;
  for (auto& [i, k] : renamed) ckpt_keys.insert(k);

  LoadingInfo info;
  std::set<std::string> expected_set(expected.begin(), expected.end());
  for (auto& k : std::set<std::string>(expected.begin(), expected.end()))
    if (!ckpt_keys.count(k)) info.missing_keys.push_back(k);
  std::set<std::string> unexpected;
  for (auto& k : ckpt_keys)
    if (!expected_set.count(k)) unexpected.insert(k);
  if (base_from_task)
    for (auto& k : original_keys)
      if (!starts_with(k, start_prefix)) unexpected.insert(k);
  std::set<std::string> buffer_names;
  bool has_inv_freq = false;
  for (auto& [n, b] : model.named_buffers()) {
    buffer_names.insert(n);
    if (ends_with(n, "rotary_emb.inv_freq")) has_inv_freq = true;
  }
  for (auto& k : unexpected)
    if (!buffer_names.count(k) && !(has_inv_freq && k.find("rotary_emb.inv_freq") != std::string::npos))
      info.unexpected_keys.push_back(k);  // std::set order == Python's sorted()
  for (auto& group : tied_parameter_groups(model)) {
    size_t missing_in_group = 0;
    for (auto& k : info.missing_keys)
      if (std::find(group.begin(), group.end(), k) != group.end()) ++missing_in_group;
    if (missing_in_group > 0 && missing_in_group < group.size())
      info.missing_keys.erase(std::remove_if(info.missing_keys.begin(), info.missing_keys.end(),
                                             [&](const std::string& k) {
                                               return std::find(group.begin(), group.end(), k) != group.end();
                                             }),
                              info.missing_keys.end());
  }
  std::vector<std::regex> ignore_missing, ignore_unexpected;
  for (auto& p : model.keys_to_ignore_on_load_missing())
    ignore_missing.push_back(compile_regex(p, "_keys_to_ignore_on_load_missing"));
  for (auto& p : model.keys_to_ignore_on_load_unexpected())
    ignore_unexpected.push_back(compile_regex(p, "_keys_to_ignore_on_load_unexpected"));
  std::erase_if(info.missing_keys, [&](const std::string& k) { return search_any(ignore_missing, k); });
  std::erase_if(info.unexpected_keys, [&](const std::string& k) { return search_any(ignore_unexpected, k); });

  // mismatched shapes: only looked for with ignore_mismatched_sizes (otherwise assignment raises)
  std::set<std::string> mismatched;
  if (ignore_mismatched)
    for (auto& [i, k] : renamed) {
      auto it = expected_shape.find(k);
      if (it == expected_shape.end()) continue;
      const Shape& cs = src.entries[i].shape;
      if (cs == it->second) continue;
      // packed 4-bit weights (two values per byte) are not a mismatch
      if (!cs.empty() && cs.back() == 1 && shape_numel(cs) * 2 == shape_numel(it->second)) continue;
      info.mismatched_keys.push_back({k, cs, it->second});
      mismatched.insert(k);
    }

  // init what will not be loaded, then load
  std::set<std::string> loaded_keys;
  for (auto& [i, k] : renamed)
    if (expected_set.count(k) && !mismatched.count(k)) loaded_keys.insert(k);
  initialize_missing(model, expected, loaded_keys, ignore_mismatched, seed);

  // Casts already done, by source bytes: a tied pair the checkpoint stores once (torch.save of tied
  // weights, e.g. the embedding and lm_head of Llama-1B: one 1 GB float32 storage) is converted once
  // for both slots instead of once each (+525 MB at the peak of a bf16 load, freed by tie_weights).
  struct Converted {
    Shape sizes, strides;
    DType dtype;
    Tensor placeholder;  // what the slot held before loading: a second slot holding it is tied to it
    Tensor converted;
  };
  std::unordered_multimap<const void*, Converted> converted;  // by the source's first byte
  for (auto& [i, k] : renamed) {
    if (!loaded_keys.count(k)) continue;
    Tensor* slot = model.find_tensor(k);
    if (!slot) continue;
    const CkptEntry& e = src.entries[i];
    if (e.shape != slot->sizes())
      throw ShapeError("Error(s) in loading state_dict for " + model.name() + ": size mismatch for " + k +
                       ": copying a param with shape " + shape_str(e.shape) + " from checkpoint, the shape in "
                       "current model is " + shape_str(slot->sizes()) +
                       ". You may consider adding ignore_mismatched_sizes=true.");
    // As in 4.51, a parameter (which requires grad) cannot take an integer or bool tensor ("Only
    // Tensors of floating point and complex dtype can require gradients"); buffers may.
    if (slot->is_floating_point() && e.dtype && !is_floating_point(*e.dtype) && model.find_parameter(k))
      throw FormatError("Error(s) in loading state_dict for " + model.name() + ": the parameter " + quote_input(k) +
                        " is " + std::string(dtype_name(*e.dtype)) + " in " +
                        (e.source < 0 ? std::string("the state dict") : quote_input(src.readers[size_t(e.source)]->path())) +
                        ": Only Tensors of floating point and complex dtype can require gradients");
    Tensor t = src.get(e);
    // Floating tensors take the model's dtype (float8_e4m3 kept, as 4.51 keeps it); integer and
    // bool tensors keep theirs. Same dtype: the mapped tensor itself becomes the parameter. Block-
    // quantized tensors only come from a GGUF loaded with keep_quantized: kept as blocks.
    const DType want = float_dtype && slot->is_floating_point() ? *float_dtype : slot->dtype();
    const bool cast =
        t.is_floating_point() && !is_quantized(t.dtype()) && t.dtype() != DType::Float8E4M3 && t.dtype() != want;
    std::optional<Tensor> offloaded;
    if (offload)
      offloaded = offload->offload(k, t, cast ? want : t.dtype(), e.source >= 0,
                                   e.source >= 0 && src.readers[size_t(e.source)]->format() == "safetensors");
    if (offloaded)
      t = *offloaded;
    else if (cast) {
      const void* first = t.data_ptr();
      auto [lo, hi] = converted.equal_range(first);
      auto same = std::find_if(lo, hi, [&](const auto& kv) {
        const Converted& c = kv.second;
        return c.sizes == t.sizes() && c.strides == t.strides() && c.dtype == want && c.placeholder.is_same(*slot);
      });
      if (same != hi) {
        t = same->second.converted;
      } else {
        Converted c{t.sizes(), t.strides(), want, *slot, {}};
        t = e.source >= 0 ? cast_releasing_source(t, want) : t.to(want, {.prefault = true});
        c.converted = t;
        converted.emplace(first, std::move(c));
      }
    }
    const bool rg = slot->requires_grad();
    *slot = t;
    slot->set_requires_grad(rg);
  }
  return info;
}

void mark_parameters_trainable(PreTrainedModel& model) {
  // torch.nn.Parameter defaults to requires_grad=True; only_trainable counts rely on it. Slots
  // holding one tensor (tied weights) get one shared autograd state, so they accumulate one grad
  // as Python's one Parameter does.
  std::vector<Tensor> marked;
  for (auto& [name, t] : model.named_parameters("", true, false)) {
    Tensor* slot = model.find_parameter(name);
    if (!slot || !slot->defined()) continue;
    auto it = std::find_if(marked.begin(), marked.end(), [&](const Tensor& m) { return m.is_same(*slot); });
    if (it == marked.end()) {
      marked.push_back(slot->detach());
      marked.back().set_requires_grad(true);
      it = marked.end() - 1;
    }
    *slot = *it;
  }
}

}  // namespace

LoadingInfo load_state_dict_into_model(PreTrainedModel& model, const std::vector<std::pair<std::string, Tensor>>& state,
                                       bool ignore_mismatched_sizes,
                                       const std::vector<std::pair<std::string, std::string>>& key_mapping,
                                       std::optional<uint64_t> seed) {
  CheckpointSource src;
  for (auto& [k, t] : state) {
    if (!src.in_memory.emplace(k, t).second) throw ValueError("state_dict holds the key '" + k + "' twice");
    src.entries.push_back({k, t.dtype(), t.sizes(), -1});
  }
  model.tie_weights();
  LoadingInfo info = load_entries(model, src, ignore_mismatched_sizes, key_mapping, seed);
  model.tie_weights();
  return info;
}

std::shared_ptr<PreTrainedModel> build_model_from_config(const ModelFactory& factory,
                                                         std::shared_ptr<PretrainedConfig> config,
                                                         std::optional<uint64_t> seed) {
  if (!config) throw ValueError("build_model_from_config: config is null");
  auto model = modeling_detail::construct_model(factory, config);
  if (!model) throw ValueError("model factory returned null");
  mark_parameters_trainable(*model);
  if (seed) ops::default_generator().manual_seed(*seed);
  apply_post_order(*model, "", [&](nn::Module& m, const std::string&) { model->init_weights(m); });
  model->tie_weights();
  return model;
}

// ---------------------------------------------------------------------------------------------

namespace {

// §5.1: "auto" = config's torch_dtype, then the index's metadata.dtype, then the first floating
// tensor of the first file (its keys() order), then the first tensor's dtype.
DType auto_dtype(const PretrainedConfig& config, const ResolvedCheckpoint& rc, const CheckpointSource& src) {
  if (auto d = config.torch_dtype()) return *d;
  if (rc.index_metadata.contains("dtype") && rc.index_metadata["dtype"].is_string())
    return dtype_from_name(rc.index_metadata["dtype"].get<std::string>());
  if (!src.readers.empty()) {
    const auto& r = *src.readers[0];
    std::optional<DType> first;
    for (auto& k : r.keys()) {
      auto e = r.entry(k);
      if (!e.dtype) continue;
      if (!first) first = e.dtype;
      if (is_floating_point(*e.dtype) && !is_quantized(*e.dtype)) return *e.dtype;
    }
    if (first) return *first;
  } else {
    for (auto& e : src.entries)
      if (e.dtype && is_floating_point(*e.dtype) && !is_quantized(*e.dtype)) return *e.dtype;  // GGUF blocks kept
  }
  return DType::Float32;
}

// A value from a file or the caller, shown in a message: JSON text, ASCII only, invalid UTF-8 replaced.
std::string shown(const json& v) { return v.dump(-1, ' ', true, json::error_handler_t::replace); }

// 4.51 hands the keyword arguments left over after an explicit `config` to the model's __init__,
// which takes none: TypeError. Silently dropping them (as this library did) loses the setting.
void refuse_model_kwargs(const json& overrides, const std::string& class_name) {
  if (overrides.empty()) return;
  const std::string cls = class_name.empty() ? std::string("the model class") : class_name;
  throw ValueError("from_pretrained: config_overrides " + shown(overrides) + " cannot be applied when a config is "
                   "passed: transformers 4.51 hands them to " + cls + ".__init__(), which raises TypeError "
                   "(unexpected keyword argument " + shown(overrides.begin().key()) + "). Set them on the config instead.");
}

}  // namespace

namespace {

// 4.51's _get_device_map and the disk checks of _load_pretrained_model, on the model just built
// (tied, not loaded): the map is kept as model.hf_device_map. Weights mapped to "disk" stay in the
// checkpoint's mapping (safetensors in the load dtype: read on demand, never copied).
void place_on_devices(PreTrainedModel& model, const FromPretrainedOptions& opts, const ResolvedCheckpoint& rc,
                      DType dtype) {
  DeviceMap map = get_device_map(model, *opts.device_map, opts.max_memory, dtype);
  bool any_disk = false, all_disk = true;
  for (auto& [k, v] : map) {
    any_disk = any_disk || v == "disk";
    all_disk = all_disk && v == "disk";
  }
  if (any_disk) {
    if (all_disk) {
      // accelerate keeps room for the largest layer on the cpu, so a budget a little above it (Llama-1B
      // with cpu=600MB: a 525 MB embedding) sends everything to disk. 4.51 then fails inside
      // safetensors ("device disk is invalid"); here the layers page in one at a time. A budget
      // below the largest layer cannot hold the layer being computed: a clear error.
      const auto mm = get_max_memory(opts.max_memory);
      int64_t cpu = 0;
      for (auto& [d, b] : mm)
        if (d == "cpu") cpu = b;
      const int64_t layer = modeling_detail::max_layer_bytes(model, dtype);
      if (cpu < layer)
        throw ValueError("device_map: max_memory cpu=" + std::to_string(cpu) + " bytes is smaller than the largest layer of " +
                         model.name() + " (" + std::to_string(layer) +
                         " bytes), which must be in memory while it is computed; give max_memory['cpu'] at least that");
    }
    const bool safetensors = !rc.files.empty() && rc.files[0].size() >= 12 &&
                             rc.files[0].compare(rc.files[0].size() - 12, 12, ".safetensors") == 0;
    if (opts.offload_folder.empty() && !safetensors)
      throw ValueError("The current `device_map` had weights offloaded to the disk. Please provide an `offload_folder`"
                       " for them. Alternatively, make sure you have `safetensors` installed if the model you are using"
                       " offers the weights in this format.");
    if (!opts.offload_folder.empty()) {
      std::error_code ec;
      fs::create_directories(opts.offload_folder, ec);
      if (ec) throw EnvironmentError("offload_folder " + quote_input(opts.offload_folder) + ": " + ec.message());
    }
  }
  model.set_hf_device_map(std::move(map));
}

}  // namespace

std::shared_ptr<PreTrainedModel> load_pretrained_model(const ModelFactory& factory, const std::string& class_name,
                                                       const std::string& path, const FromPretrainedOptions& opts) {
  if (!opts.gguf_file.empty())
    return load_pretrained_model(factory, class_name, path, detail::gguf_load_options(path, opts));
  // 1. config
  json overrides = opts.config_overrides.is_object() ? opts.config_overrides : json::object();
  if (opts.num_labels) overrides["num_labels"] = *opts.num_labels;
  std::shared_ptr<PretrainedConfig> config;
  if (opts.config) {
    config = opts.config->clone();  // Python deep-copies a passed config; kwargs go to __init__
    if (overrides.contains("attn_implementation")) {  // 4.51 pops it before the model kwargs
      config->set("attn_implementation", overrides["attn_implementation"]);
      overrides.erase("attn_implementation");
    }
    if (!opts.attn_implementation.empty()) config->set("attn_implementation", opts.attn_implementation);
    refuse_model_kwargs(overrides, class_name);
  } else {
    const std::string cpath = opts.config_path.empty() ? path : opts.config_path;
    if (cpath.empty()) throw ValueError("from_pretrained: give a path, a config_path or a config");
    if (!opts.attn_implementation.empty()) overrides["attn_implementation"] = opts.attn_implementation;
    auto [cfg, unused] = PretrainedConfig::from_pretrained_with_unused(
        cpath, {.overrides = overrides, .hub = opts.hub});
    unused.erase("torch_dtype");
    if (!unused.empty())
      throw ValueError("from_pretrained: config_overrides " + quote_input(unused.dump()) + " are no attributes of the config of " +
                       cpath + " (Python would pass them to the model's __init__, which takes none)");
    config = cfg;
  }
  if (!path.empty()) config->set("_name_or_path", path);
  // bitsandbytes: quantize at load (options) or load pre-quantized bytes (config.json); any other
  // quant_method is refused here, before anything is read
  bool bnb_prequantized = false;
  const std::optional<BitsAndBytesConfig> bnb = modeling_detail::bnb_config_of_load(
      opts, *config, "config of " + (path.empty() ? std::string("the model") : path), bnb_prequantized);

  // 2. checkpoint files
  ResolvedCheckpoint rc;
  CheckpointSource src;
  std::optional<detail::FrameworkWeights> framework;  // TensorFlow / Flax weights
  if (opts.state_dict) {
    for (auto& [k, t] : *opts.state_dict) {
      if (!src.in_memory.emplace(k, t).second) throw ValueError("state_dict holds the key '" + k + "' twice");
      src.entries.push_back({k, t.dtype(), t.sizes(), -1});
    }
  } else {
    if (path.empty()) throw ValueError("from_pretrained: give a path or a state_dict");
    rc = resolve_checkpoint_files(path, opts);
    framework = detail::read_framework_weights(rc.files, rc.index_file);
    if (framework) {  // converted once the model exists; the raw weights count for the size check
      for (auto& [k, t] : framework->tensors) src.entries.push_back({k, t.dtype(), t.sizes(), -1});
    } else {
      src = open_source(rc);
    }
  }

  // The config's sizes against what the checkpoint holds, before anything is allocated.
  double checkpoint_numel = 0;
  for (auto& e : src.entries) {
    double n = 1;
    for (int64_t d : e.shape) n *= double(d);
    checkpoint_numel += n;
  }
  detail::check_config_sizes(*config, checkpoint_numel, "config of " + (path.empty() ? std::string("the model") : path));

  // 3. dtype
  DType dtype = DType::Float32;
  if (opts.torch_dtype.is_auto)
    dtype = auto_dtype(*config, rc, src);
  else if (opts.torch_dtype.dtype)
    dtype = *opts.torch_dtype.dtype;
  else if (bnb)
    dtype = DType::Float16;  // 4.51's bitsandbytes update_torch_dtype: "Overriding torch_dtype=None with torch.float16"
  // Beyond 4.51 (which refuses it below): "int8" is the int8 compute type (modeling/int8_compute.hpp),
  // loaded in float32 and quantized after loading.
  const bool int8_compute = !opts.torch_dtype.is_auto && dtype == DType::Int8;
  if (int8_compute) dtype = DType::Float32;
  if (int8_compute && bnb)
    throw ValueError("torch_dtype=\"int8\" (the int8 compute type) cannot be combined with a bitsandbytes "
                     "quantization_config (load_in_8bit / load_in_4bit): choose one");
  if (!is_floating_point(dtype))
    throw ValueError("Can't instantiate " + (class_name.empty() ? std::string("the model") : class_name) +
                     " under dtype=" + std::string(dtype_name(dtype)) + " since it is not a floating point dtype");
  if (!opts.torch_dtype.is_auto) config->set_torch_dtype(dtype);

  // 4. build, tie, load, tie, eval
  auto model = modeling_detail::construct_model(factory, config);
  if (!model) throw ValueError("model factory for " + class_name + " returned null");
  mark_parameters_trainable(*model);
  model->tie_weights();
  if (framework) {
    src = CheckpointSource{};
    const bool tf = framework->framework == detail::WeightsFramework::TF;
    for (auto& [k, t] : tf ? detail::tf_weights_to_pytorch(*model, framework->tensors)
                           : detail::flax_weights_to_pytorch(*model, framework->tensors)) {
      if (!src.in_memory.emplace(k, t).second)
        throw FormatError("two " + std::string(tf ? "TensorFlow" : "Flax") + " weights convert to the parameter " +
                          quote_input(k) + " of " + path);
      src.entries.push_back({k, t.dtype(), t.sizes(), -1});
    }
    framework.reset();
  }
  modeling_detail::BnbTargets bnb_targets;
  std::map<std::string, Tensor> bnb_stats;
  if (bnb) {
    bnb_targets = modeling_detail::bnb_target_linears(*model, *bnb);
    if (bnb_prequantized) {
      // the statistics are no parameters: taken out of the entries, read here, attached after the load
      std::erase_if(src.entries, [&](const CkptEntry& e) {
        if (!modeling_detail::is_bnb_statistic_key(e.key)) return false;
        bnb_stats[e.key] = src.get(e);
        return true;
      });
      std::map<std::string, const CkptEntry*> by_key;
      for (auto& e : src.entries) by_key[e.key] = &e;
      modeling_detail::bnb_shape_prequantized(
          bnb_targets,
          [&](const std::string& k) -> std::optional<std::pair<DType, Shape>> {
            auto it = by_key.find(k);
            if (it == by_key.end() || !it->second->dtype) return std::nullopt;
            return std::pair{*it->second->dtype, it->second->shape};
          },
          path);
    }
  }
  if (opts.device_map) place_on_devices(*model, opts, rc, dtype);
  // Loaded tensors go straight to the target dtype (a mapped checkpoint already in it is used as
  // is); only what loading did not replace (new weights, buffers) is cast afterwards. Casting the
  // float32 placeholders first would convert every weight once for nothing (2.4 s for a 1B model).
  // Disk-mapped weights that cannot stay views of a safetensors file go to offload_folder (4.51).
  std::optional<modeling_detail::OffloadFolderWriter> offload;
  if (model->hf_device_map() && !opts.offload_folder.empty()) offload.emplace(*model->hf_device_map(), opts.offload_folder);
  model->set_loading_info(load_entries(*model, src, opts.ignore_mismatched_sizes, opts.key_mapping, opts.seed, dtype,
                                       offload ? &*offload : nullptr));
  if (offload) offload->finish();
  detail::log_loading_report(*model, path, model->loading_info());
  model->tie_weights();
  if (dtype != DType::Float32) {
    model->to(dtype);  // keeps ties: each shared tensor is cast once
    model->tie_weights();
  }
  if (bnb) {  // after the cast: 4.51 quantizes each weight as loaded in torch_dtype
    if (bnb_prequantized)
      modeling_detail::bnb_attach_prequantized(bnb_targets, *bnb, bnb_stats, path);
    else
      modeling_detail::bnb_quantize_linears(bnb_targets, *bnb);
    config->set("quantization_config", bnb->to_dict());
  }
  model->eval();
  if (int8_compute) modeling_detail::quantize_linear_weights_int8(*model);
  // Weights mapped to "disk" that are views of the checkpoint's mapping give their pages back after use.
  if (model->hf_device_map() && !opts.state_dict)
    modeling_detail::release_disk_weights_after_use(*model, *model->hf_device_map());

  // 5. generation config
  if (model->can_generate()) {
    if (opts.generation_config) {
      model->set_generation_config(opts.generation_config);
    } else {
      // As 4.51: GenerationConfig.from_pretrained(path, same hub kwargs), through the same
      // folder / cache / download path as config.json and the weights; when the file is absent
      // the model keeps the one derived from its config. A single checkpoint file has no folder
      // to hold one.
      std::optional<std::string> g;
      std::error_code ec;
      if (!path.empty() && !opts.state_dict && !fs::is_regular_file(path, ec))
        g = hub::resolve_file(path, "generation_config.json", opts.hub);
      if (g) model->set_generation_config(GenerationConfig::from_pretrained(*g));
    }
  }
  return model;
}

}  // namespace transformers
