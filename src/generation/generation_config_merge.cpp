// Merging of generation defaults (transformers 4.51's GenerationConfig()), the model's generation
// config and call options, then 4.51's length and special-token preparation.
#include "transformers/generation/utils.hpp"
#include "transformers/core/checked.hpp"
#include "transformers/generation/configuration_utils.hpp"
#include "transformers/modeling/modeling_utils.hpp"

namespace transformers {

using ojson = nlohmann::ordered_json;

namespace {

std::vector<int64_t> id_list(const ojson& v, const char* key) {
  if (v.is_null()) return {};
  if (v.is_number_integer()) return {v.get<int64_t>()};
  if (v.is_array()) {
    std::vector<int64_t> out;
    for (const auto& e : v) {
      if (!e.is_number_integer())
        throw FormatError(std::string("generation config: `") + key + "` must hold integers, found " + e.dump());
      out.push_back(e.get<int64_t>());
    }
    return out;
  }
  throw FormatError(std::string("generation config: `") + key + "` must be an integer or a list, found " + v.dump());
}

OptionalId opt_id(const ojson& v, const char* key) {
  if (v.is_null()) return std::nullopt;
  if (!v.is_number_integer())
    throw FormatError(std::string("generation config: `") + key + "` must be an integer, found " + v.dump());
  return v.get<int64_t>();
}

EarlyStopping early_from_json(const ojson& v) {
  if (v.is_boolean()) return v.get<bool>() ? EarlyStopping::True : EarlyStopping::False;
  if (v.is_string() && v.get<std::string>() == "never") return EarlyStopping::Never;
  throw FormatError("generation config: `early_stopping` must be true, false or \"never\", found " + v.dump());
}

template <typename T>
T num(const ojson& v, const char* key) {
  if (!v.is_number())
    throw FormatError(std::string("generation config: `") + key + "` must be a number, found " + v.dump());
  return v.get<T>();
}

// Settings whose effect we do not reproduce; refusing them beats a silently different result.
bool unsupported_setting(const std::string& k, const ojson& v) {
  if (v.is_null()) return false;
  if (k == "penalty_alpha") return v.is_number() && v.get<double>() > 0;  // contrastive search
  if (k == "num_beam_groups") return v.is_number() && v.get<int64_t>() > 1;
  if (k == "diversity_penalty") return v.is_number() && v.get<double>() > 0;
  if (k == "guidance_scale") return v.is_number() && v.get<double>() != 1.0;
  if (k == "encoder_repetition_penalty") return v.is_number() && v.get<double>() != 1.0;
  if (k == "encoder_no_repeat_ngram_size") return v.is_number() && v.get<int64_t>() > 0;
  if (k == "dola_layers" || k == "watermarking_config" || k == "prompt_lookup_num_tokens" ||
      k == "assistant_early_exit")
    return true;
  if (k == "token_healing") return v.is_boolean() && v.get<bool>();
  return false;
}

void apply_json(ResolvedGenerationConfig& c, const ojson& j) {
  if (!j.is_object()) throw FormatError("generation config: expected a JSON object, found " + j.dump());
  for (const auto& [k, v] : j.items()) {
    const char* key = k.c_str();
    if (k == "max_length") c.max_length = num<int64_t>(v, key);
    else if (k == "max_new_tokens") c.max_new_tokens = v.is_null() ? std::nullopt : std::optional<int64_t>(num<int64_t>(v, key));
    else if (k == "min_length") c.min_length = num<int64_t>(v, key);
    else if (k == "min_new_tokens") c.min_new_tokens = v.is_null() ? std::nullopt : std::optional<int64_t>(num<int64_t>(v, key));
    else if (k == "early_stopping") c.early_stopping = early_from_json(v);
    else if (k == "max_time") c.max_time = v.is_null() ? std::nullopt : std::optional<double>(num<double>(v, key));
    else if (k == "stop_strings") {
      c.stop_strings.clear();
      if (v.is_string()) c.stop_strings.push_back(v.get<std::string>());
      else if (v.is_array()) for (const auto& s : v) c.stop_strings.push_back(s.get<std::string>());
    } else if (k == "do_sample") c.do_sample = v.get<bool>();
    else if (k == "num_beams") c.num_beams = num<int64_t>(v, key);
    else if (k == "use_cache") c.use_cache = v.get<bool>();
    else if (k == "temperature") c.temperature = v.is_null() ? 1.0 : num<double>(v, key);
    else if (k == "top_k") c.top_k = v.is_null() ? 0 : num<int64_t>(v, key);
    else if (k == "top_p") c.top_p = v.is_null() ? 1.0 : num<double>(v, key);
    else if (k == "min_p") c.min_p = v.is_null() ? std::nullopt : std::optional<double>(num<double>(v, key));
    else if (k == "typical_p") c.typical_p = v.is_null() ? 1.0 : num<double>(v, key);
    else if (k == "epsilon_cutoff") c.epsilon_cutoff = v.is_null() ? 0.0 : num<double>(v, key);
    else if (k == "eta_cutoff") c.eta_cutoff = v.is_null() ? 0.0 : num<double>(v, key);
    else if (k == "repetition_penalty") c.repetition_penalty = v.is_null() ? 1.0 : num<double>(v, key);
    else if (k == "length_penalty") c.length_penalty = num<double>(v, key);
    else if (k == "no_repeat_ngram_size") c.no_repeat_ngram_size = v.is_null() ? 0 : num<int64_t>(v, key);
    else if (k == "bad_words_ids") {
      if (v.is_null()) c.bad_words_ids.reset();
      else c.bad_words_ids = v.get<std::vector<std::vector<int64_t>>>();
    } else if (k == "renormalize_logits") c.renormalize_logits = v.get<bool>();
    else if (k == "forced_bos_token_id") c.forced_bos_token_id = opt_id(v, key);
    else if (k == "forced_eos_token_id") c.forced_eos_token_id = id_list(v, key);
    else if (k == "remove_invalid_values") c.remove_invalid_values = v.get<bool>();
    else if (k == "exponential_decay_length_penalty") {
      if (v.is_null()) c.exponential_decay_length_penalty.reset();
      else c.exponential_decay_length_penalty = std::pair<int64_t, double>{v.at(0).get<int64_t>(), v.at(1).get<double>()};
    } else if (k == "suppress_tokens") {
      if (v.is_null()) c.suppress_tokens.reset(); else c.suppress_tokens = id_list(v, key);
    } else if (k == "begin_suppress_tokens") {
      if (v.is_null()) c.begin_suppress_tokens.reset(); else c.begin_suppress_tokens = id_list(v, key);
    } else if (k == "sequence_bias") {
      if (v.is_null()) c.sequence_bias.reset();
      else {
        SequenceBiasLogitsProcessor::SequenceBias sb;
        for (const auto& e : v) sb.emplace_back(e.at(0).get<std::vector<int64_t>>(), e.at(1).get<float>());
        c.sequence_bias = sb;
      }
    } else if (k == "num_return_sequences") c.num_return_sequences = num<int64_t>(v, key);
    else if (k == "pad_token_id") c.pad_token_id = opt_id(v, key);
    else if (k == "bos_token_id") c.bos_token_id = opt_id(v, key);
    else if (k == "eos_token_id") c.eos_token_id = id_list(v, key);
    else if (k == "forced_decoder_ids" && !v.is_null())
      throw ValueError("You have explicitly specified `forced_decoder_ids`. Please remove the `forced_decoder_ids` "
                       "argument in favour of `input_ids` or `decoder_input_ids` respectively.");
    else if (k == "low_memory" && v.is_boolean() && v.get<bool>())
      throw ValueError("`low_memory=True` is not supported after the beam search refactor (transformers 4.51)");
    else if (unsupported_setting(k, v))
      throw UnsupportedError("generate: generation config key `" + k + "` = " + v.dump() +
                             " selects a mode this library does not implement (greedy, sampling and beam search "
                             "are supported)");
    // other keys (output_*, transformers_version, _from_model_config, ...) do not change the search
  }
}

template <typename T, typename U>
void take(T& dst, const std::optional<U>& src) {
  if (src) dst = *src;
}

}  // namespace

ResolvedGenerationConfig resolve_generation_config(const ojson& model_generation_config,
                                                   const GenerationOptions& o, int64_t input_ids_length,
                                                   std::optional<int64_t> max_position_embeddings) {
  ResolvedGenerationConfig c;
  if (!model_generation_config.is_null()) apply_json(c, model_generation_config);
  // generation_config.update(**kwargs)
  take(c.max_length, o.max_length);
  if (o.max_new_tokens) c.max_new_tokens = o.max_new_tokens;
  take(c.min_length, o.min_length);
  if (o.min_new_tokens) c.min_new_tokens = o.min_new_tokens;
  take(c.early_stopping, o.early_stopping);
  if (o.max_time) c.max_time = o.max_time;
  take(c.stop_strings, o.stop_strings);
  take(c.do_sample, o.do_sample);
  take(c.num_beams, o.num_beams);
  take(c.use_cache, o.use_cache);
  take(c.temperature, o.temperature);
  take(c.top_k, o.top_k);
  take(c.top_p, o.top_p);
  if (o.min_p) c.min_p = o.min_p;
  take(c.typical_p, o.typical_p);
  take(c.epsilon_cutoff, o.epsilon_cutoff);
  take(c.eta_cutoff, o.eta_cutoff);
  take(c.repetition_penalty, o.repetition_penalty);
  take(c.length_penalty, o.length_penalty);
  take(c.no_repeat_ngram_size, o.no_repeat_ngram_size);
  if (o.bad_words_ids) c.bad_words_ids = o.bad_words_ids;
  take(c.renormalize_logits, o.renormalize_logits);
  take(c.forced_bos_token_id, o.forced_bos_token_id);
  take(c.forced_eos_token_id, o.forced_eos_token_id);
  take(c.remove_invalid_values, o.remove_invalid_values);
  if (o.exponential_decay_length_penalty) c.exponential_decay_length_penalty = o.exponential_decay_length_penalty;
  if (o.suppress_tokens) c.suppress_tokens = o.suppress_tokens;
  if (o.begin_suppress_tokens) c.begin_suppress_tokens = o.begin_suppress_tokens;
  if (o.sequence_bias) c.sequence_bias = o.sequence_bias;
  take(c.num_return_sequences, o.num_return_sequences);
  take(c.pad_token_id, o.pad_token_id);
  take(c.bos_token_id, o.bos_token_id);
  take(c.eos_token_id, o.eos_token_id);

  // ---- GenerationConfig.validate (the errors; Python's warnings are not reproduced) ----
  if (c.num_beams < 1) throw ValueError("generate: `num_beams` has to be a positive integer, but is " + std::to_string(c.num_beams));
  if (c.max_new_tokens && *c.max_new_tokens <= 0)
    throw ValueError("generate: `max_new_tokens` must be greater than 0, but is " + std::to_string(*c.max_new_tokens));
  if (c.num_return_sequences < 1)
    throw ValueError("generate: `num_return_sequences` has to be a positive integer, but is " +
                     std::to_string(c.num_return_sequences));
  if (c.num_return_sequences != 1) {
    if (c.num_beams == 1) {
      if (!c.do_sample)
        throw ValueError("Greedy methods without beam search do not support `num_return_sequences` different than 1 (got " +
                         std::to_string(c.num_return_sequences) + ").");
    } else if (c.num_return_sequences > c.num_beams) {
      throw ValueError("`num_return_sequences` (" + std::to_string(c.num_return_sequences) +
                       ") has to be smaller or equal to `num_beams` (" + std::to_string(c.num_beams) + ").");
    }
  }

  // ---- _prepare_special_tokens: pad falls back to the first eos ----
  if (!c.pad_token_id && !c.eos_token_id.empty()) c.pad_token_id = c.eos_token_id[0];

  // ---- _prepare_generated_length ----
  const bool has_default_max_length = !o.max_length.has_value();
  // Python's integers do not wrap; a max_new_tokens near 2^63 from generation_config.json or the
  // CLI would wrap to a negative max_length (and stop after one token): refuse it, naming the key.
  if (c.max_new_tokens) {
    c.max_length = checked_add(*c.max_new_tokens, input_ids_length, "generate: max_new_tokens + the input length");
  } else if (has_default_max_length && c.max_length == 20) {
    c.max_length = c.max_length + input_ids_length;
    if (max_position_embeddings) c.max_length = std::min(c.max_length, *max_position_embeddings);
  }
  // _validate_generated_length (also keeps a negative max_length from a file out of the loops)
  if (input_ids_length >= c.max_length)
    throw ValueError("Input length of input_ids is " + std::to_string(input_ids_length) + ", but `max_length` is set to " +
                     std::to_string(c.max_length) + ". This can lead to unexpected behavior. You should consider "
                     "increasing `max_length` or, better yet, setting `max_new_tokens`.");
  if (c.min_new_tokens) c.min_length = checked_add(*c.min_new_tokens, input_ids_length, "generate: min_new_tokens + the input length");
  return c;
}

ojson model_generation_config(PreTrainedModel& model) {
  // from_pretrained loads generation_config.json; otherwise GenerationConfig.from_model_config
  std::shared_ptr<GenerationConfig> g = model.generation_config();
  if (!g) g = GenerationConfig::from_model_config(model.config());
  return g->to_dict();
}

}  // namespace transformers
