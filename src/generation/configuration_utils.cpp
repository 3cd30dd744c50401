// GenerationConfig load/save (4.51 semantics): diff against GenerationConfig() defaults on save,
// from_model_config copying the generation attributes of a model config.
#include "transformers/generation/configuration_utils.hpp"

#include <filesystem>

#include "transformers/hub/hub.hpp"
#include "transformers/io/json_file.hpp"
#include "transformers/io/atomic_file.hpp"

namespace transformers {

const json& generation_config_defaults() {
  // transformers 4.51.3 GenerationConfig().to_dict() (checked by tests against the oracle's dump).
  static const json j = json::parse(R"json(
{
  "max_length": 20,
  "max_new_tokens": null,
  "min_length": 0,
  "min_new_tokens": null,
  "early_stopping": false,
  "max_time": null,
  "stop_strings": null,
  "do_sample": false,
  "num_beams": 1,
  "num_beam_groups": 1,
  "penalty_alpha": null,
  "dola_layers": null,
  "use_cache": true,
  "cache_implementation": null,
  "cache_config": null,
  "return_legacy_cache": null,
  "prefill_chunk_size": null,
  "temperature": 1.0,
  "top_k": 50,
  "top_p": 1.0,
  "min_p": null,
  "typical_p": 1.0,
  "epsilon_cutoff": 0.0,
  "eta_cutoff": 0.0,
  "diversity_penalty": 0.0,
  "repetition_penalty": 1.0,
  "encoder_repetition_penalty": 1.0,
  "length_penalty": 1.0,
  "no_repeat_ngram_size": 0,
  "bad_words_ids": null,
  "force_words_ids": null,
  "renormalize_logits": false,
  "constraints": null,
  "forced_bos_token_id": null,
  "forced_eos_token_id": null,
  "remove_invalid_values": false,
  "exponential_decay_length_penalty": null,
  "suppress_tokens": null,
  "begin_suppress_tokens": null,
  "forced_decoder_ids": null,
  "sequence_bias": null,
  "token_healing": false,
  "guidance_scale": null,
  "low_memory": null,
  "watermarking_config": null,
  "num_return_sequences": 1,
  "output_attentions": false,
  "output_hidden_states": false,
  "output_scores": false,
  "output_logits": null,
  "return_dict_in_generate": false,
  "pad_token_id": null,
  "bos_token_id": null,
  "eos_token_id": null,
  "encoder_no_repeat_ngram_size": 0,
  "decoder_start_token_id": null,
  "is_assistant": false,
  "num_assistant_tokens": 20,
  "num_assistant_tokens_schedule": "constant",
  "assistant_confidence_threshold": 0.4,
  "prompt_lookup_num_tokens": null,
  "max_matching_ngram_size": null,
  "assistant_early_exit": null,
  "assistant_lookbehind": 10,
  "target_lookbehind": 10,
  "disable_compile": false,
  "generation_kwargs": {},
  "_from_model_config": false
}
)json");
  return j;
}

namespace {
// Keys to_dict never writes.
const char* const kDropped[] = {"_commit_hash", "_original_object_hash", "compile_config"};
const char* const kExtraOutputFlags[] = {"output_attentions", "output_hidden_states", "output_scores",
                                         "output_logits"};
}  // namespace

GenerationConfig::GenerationConfig(json data) : data_(std::move(data)) {
  if (!data_.is_object())
    throw FormatError("generation config: expected a JSON object, found " + std::string(data_.type_name()));
}

bool GenerationConfig::has(const std::string& key) const {
  return data_.contains(key) || generation_config_defaults().contains(key);
}

const json& GenerationConfig::raw_at(const std::string& key) const {
  auto it = data_.find(key);
  if (it != data_.end()) return *it;
  auto d = generation_config_defaults().find(key);
  if (d != generation_config_defaults().end()) return *d;
  throw KeyError("generation config has no key '" + key + "'");
}

json GenerationConfig::update(const json& kwargs) {
  json unused = json::object();
  if (!kwargs.is_object()) return unused;
  for (auto& [k, v] : kwargs.items()) {
    if (has(k))
      data_[k] = v;
    else
      unused[k] = v;
  }
  return unused;
}

std::vector<int64_t> GenerationConfig::eos_token_ids() const {
  const json& v = raw_at("eos_token_id");
  if (v.is_null()) return {};
  if (v.is_number_integer()) return {v.get<int64_t>()};
  return get<std::vector<int64_t>>("eos_token_id");
}

json GenerationConfig::to_dict() const {
  json out = generation_config_defaults();
  for (auto& [k, v] : data_.items()) out[k] = v;
  for (const char* k : kDropped) out.erase(k);
  out["transformers_version"] = kTransformersCompatVersion;
  return out;
}

json GenerationConfig::to_diff_dict() const {
  const json full = to_dict();
  const json& defaults = generation_config_defaults();
  json out = json::object();
  for (auto& [k, v] : full.items()) {
    auto d = defaults.find(k);
    if (d == defaults.end() || k == "transformers_version" || v != *d) out[k] = v;
  }
  return out;
}

std::string GenerationConfig::to_json_string(bool use_diff) const {
  return python_json_dumps(use_diff ? to_diff_dict() : to_dict(), true, {});
}

void GenerationConfig::save_pretrained(const std::string& dir, const std::string& config_file_name) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(dir, ec))
    throw ValueError("Provided path (" + dir + ") should be a directory, not a file");
  fs::create_directories(dir, ec);
  if (ec) throw EnvironmentError("cannot create directory '" + dir + "': " + ec.message());
  io::write_file_atomic((fs::path(dir) / config_file_name).string(), to_json_string(true));
}

std::shared_ptr<GenerationConfig> GenerationConfig::from_dict(const json& dict, const json& overrides) {
  auto g = std::make_shared<GenerationConfig>(dict);
  g->data_.erase("transformers_version");
  if (overrides.is_object())
    for (auto& [k, v] : overrides.items()) g->data_[k] = v;
  return g;
}

std::shared_ptr<GenerationConfig> GenerationConfig::from_pretrained(const std::string& path,
                                                                    const GenerationConfigLoadOptions& opts) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path file;
  if (fs::is_regular_file(path, ec)) {
    file = path;
  } else {
    auto f = hub::resolve_file(path, opts.config_file_name, opts.hub);
    if (!f)
      throw FileNotFoundError("'" + path + "' does not appear to have a file named " +
                              (opts.hub.subfolder.empty() ? "" : opts.hub.subfolder + "/") + opts.config_file_name);
    file = *f;
  }
  json j = io::read_ordered_json_file(file, {.what = "generation config file", .max_bytes = io::kConfigJsonMaxBytes});
  if (!j.is_object()) throw FormatError("generation config '" + file.string() + "': expected a JSON object");
  return from_dict(j, opts.overrides);
}

std::shared_ptr<GenerationConfig> GenerationConfig::from_model_config(const PretrainedConfig& config) {
  const json model = config.to_dict();
  auto g = std::make_shared<GenerationConfig>();
  // Only known generation attributes are taken (Python ignores the rest when _from_model_config).
  for (auto& [k, v] : generation_config_defaults().items()) {
    if (k == "_from_model_config") continue;
    auto it = model.find(k);
    if (it != model.end() && *it != v) g->data_[k] = *it;
  }
  g->data_["_from_model_config"] = true;
  if (!g->get<bool>("return_dict_in_generate", false))
    for (const char* f : kExtraOutputFlags)
      if (g->get<bool>(f, false)) {
        g->data_["return_dict_in_generate"] = true;
        break;
      }
  return g;
}

}  // namespace transformers
