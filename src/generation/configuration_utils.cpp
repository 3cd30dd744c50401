// GenerationConfig load/save (4.51 semantics): diff against GenerationConfig() defaults on save,
// from_model_config copying the generation attributes of a model config.
#include "transformers/generation/configuration_utils.hpp"

#include <filesystem>

#include "transformers/hub/hub.hpp"
#include "transformers/io/json_file.hpp"

namespace transformers {

const json& generation_config_defaults() {
  // transformers 4.51.3 GenerationConfig().to_dict() (checked by tests against the oracle's dump):
  // the generation parameters a model config also carries, with the same defaults, and the rest.
  static const json j = [] {
    json out = global_generation_defaults();
    io::update_ordered(out, json::parse(R"json(
{
  "max_new_tokens": null,
  "min_new_tokens": null,
  "max_time": null,
  "stop_strings": null,
  "penalty_alpha": null,
  "dola_layers": null,
  "use_cache": true,
  "cache_implementation": null,
  "cache_config": null,
  "return_legacy_cache": null,
  "prefill_chunk_size": null,
  "min_p": null,
  "epsilon_cutoff": 0.0,
  "eta_cutoff": 0.0,
  "encoder_repetition_penalty": 1.0,
  "force_words_ids": null,
  "renormalize_logits": false,
  "constraints": null,
  "forced_decoder_ids": null,
  "sequence_bias": null,
  "token_healing": false,
  "guidance_scale": null,
  "low_memory": null,
  "watermarking_config": null,
  "output_attentions": false,
  "output_hidden_states": false,
  "output_logits": null,
  "pad_token_id": null,
  "bos_token_id": null,
  "eos_token_id": null,
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
)json"));
    return out;
  }();
  return j;
}

namespace {
const char* const kExtraOutputFlags[] = {"output_attentions", "output_hidden_states", "output_scores",
                                         "output_logits"};

// generation_config.json: GenerationConfig()'s attributes as defaults; private state never written.
const JsonConfigKind& generation_config_kind() {
  static const JsonConfigKind kind{.what = "generation config",
                                   .defaults = generation_config_defaults,
                                   .dropped_from_dict = {"_commit_hash", "_original_object_hash", "compile_config"},
                                   .dropped_from_diff = {},
                                   .int_key_fields = {}};
  return kind;
}
}  // namespace

GenerationConfig::GenerationConfig() : JsonConfig(generation_config_kind(), json::object()) {}
GenerationConfig::GenerationConfig(json data) : JsonConfig(generation_config_kind(), std::move(data)) {}

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
  auto g = from_dict(j, opts.overrides);
  g->set_source_file(file.string());  // typed errors name the file
  return g;
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
