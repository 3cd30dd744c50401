// Merging of generation defaults (transformers 4.51's GenerationConfig()), the model's generation
// config and call options, then 4.51's length and special-token preparation.
#include "transformers/generation/utils.hpp"
#include "transformers/core/checked.hpp"
#include "transformers/generation/configuration_utils.hpp"
#include "transformers/modeling/modeling_utils.hpp"
#include "transformers/core/quote.hpp"

#include <type_traits>

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
        throw FormatError(std::string("generation config: `") + key + "` must hold integers, found " + quote_input(e.dump()));
      out.push_back(e.get<int64_t>());
    }
    return out;
  }
  throw FormatError(std::string("generation config: `") + key + "` must be an integer or a list, found " + quote_input(v.dump()));
}

OptionalId opt_id(const ojson& v, const char* key) {
  if (v.is_null()) return std::nullopt;
  if (!v.is_number_integer())
    throw FormatError(std::string("generation config: `") + key + "` must be an integer, found " + quote_input(v.dump()));
  return v.get<int64_t>();
}

EarlyStopping early_from_json(const ojson& v) {
  if (v.is_boolean()) return v.get<bool>() ? EarlyStopping::True : EarlyStopping::False;
  if (v.is_string() && v.get<std::string>() == "never") return EarlyStopping::Never;
  throw FormatError("generation config: `early_stopping` must be true, false or \"never\", found " + quote_input(v.dump()));
}

template <typename T>
T num(const ojson& v, const char* key) {
  if (!v.is_number())
    throw FormatError(std::string("generation config: `") + key + "` must be a number, found " + quote_input(v.dump()));
  return v.get<T>();
}

// One JSON value (not null) as a table row's resolved type.
template <typename T>
struct FieldReader;
template <>
struct FieldReader<int64_t> {
  static int64_t read(const ojson& v, const char* key) { return num<int64_t>(v, key); }
};
template <>
struct FieldReader<double> {
  static double read(const ojson& v, const char* key) { return num<double>(v, key); }
};
template <>
struct FieldReader<bool> {
  static bool read(const ojson& v, const char* key) {
    if (!v.is_boolean())
      throw FormatError(std::string("generation config: `") + key + "` must be true or false, found " + quote_input(v.dump()));
    return v.get<bool>();
  }
};
template <>
struct FieldReader<EarlyStopping> {
  static EarlyStopping read(const ojson& v, const char*) { return early_from_json(v); }
};
template <>
struct FieldReader<generation_fields::IdList> {
  static generation_fields::IdList read(const ojson& v, const char* key) { return id_list(v, key); }
};
template <>
struct FieldReader<generation_fields::Strings> {
  // A string or a list of strings (Python accepts both); anything else leaves the list empty.
  static generation_fields::Strings read(const ojson& v, const char* key) {
    generation_fields::Strings out;
    if (v.is_string()) out.push_back(v.get<std::string>());
    else if (v.is_array())
      for (const auto& s : v) {
        if (!s.is_string())
          throw FormatError(std::string("generation config: `") + key + "` must hold strings, found " + quote_input(s.dump()));
        out.push_back(s.get<std::string>());
      }
    return out;
  }
};
template <>
struct FieldReader<generation_fields::IdLists> {
  static generation_fields::IdLists read(const ojson& v, const char* key) {
    if (!v.is_array())
      throw FormatError(std::string("generation config: `") + key + "` must be a list of id lists, found " + quote_input(v.dump()));
    generation_fields::IdLists out;
    for (const auto& e : v) {
      if (!e.is_array())
        throw FormatError(std::string("generation config: `") + key + "` must be a list of id lists, found " +
                          quote_input(v.dump()));
      out.push_back(id_list(e, key));
    }
    return out;
  }
};
template <>
struct FieldReader<generation_fields::DecayPenalty> {
  static generation_fields::DecayPenalty read(const ojson& v, const char* key) {
    if (!v.is_array() || v.size() != 2)
      throw FormatError(std::string("generation config: `") + key + "` must be [start_index, decay_factor], found " +
                        quote_input(v.dump()));
    return {num<int64_t>(v[0], key), num<double>(v[1], key)};
  }
};
template <>
struct FieldReader<generation_fields::SequenceBias> {
  static generation_fields::SequenceBias read(const ojson& v, const char* key) {
    if (!v.is_array())
      throw FormatError(std::string("generation config: `") + key + "` must be a list of [ids, bias], found " +
                        quote_input(v.dump()));
    generation_fields::SequenceBias sb;
    for (const auto& e : v) {
      if (!e.is_array() || e.size() != 2 || !e[0].is_array())
        throw FormatError(std::string("generation config: `") + key + "` entries must be [ids, bias], found " +
                          quote_input(e.dump()));
      sb.emplace_back(id_list(e[0], key), num<float>(e[1], key));
    }
    return sb;
  }
};
template <>
struct FieldReader<OptionalId> {
  static OptionalId read(const ojson& v, const char* key) { return opt_id(v, key); }
};

// A table row's JSON value: null follows the row's on_null, anything else is read as the row's
// option type O (max_new_tokens reads a number, pad_token_id an integer id) and stored.
template <typename O, typename R, typename OnNull>
void read_field(R& dst, const ojson& v, const char* key, const OnNull& on_null) {
  if (v.is_null()) {
    if constexpr (std::is_same_v<OnNull, generation_fields::NullIsError>)
      throw FormatError(std::string("generation config: `") + key + "` must not be null");
    else
      dst = on_null;
    return;
  }
  dst = FieldReader<O>::read(v, key);
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

void apply_json_unchecked(ResolvedGenerationConfig& c, const ojson& j) {
  using namespace generation_fields;  // the table's type names and kNullIsError
  for (const auto& [k, v] : j.items()) {
#define TRANSFORMERS_READ_FIELD(name, O, R, def, on_null) \
  if (k == #name) {                                       \
    read_field<O>(c.name, v, #name, on_null);             \
    continue;                                             \
  }
    TRANSFORMERS_GENERATION_FIELDS(TRANSFORMERS_READ_FIELD)
#undef TRANSFORMERS_READ_FIELD
    if (k == "forced_decoder_ids" && !v.is_null())
      throw ValueError("You have explicitly specified `forced_decoder_ids`. Please remove the `forced_decoder_ids` "
                       "argument in favour of `input_ids` or `decoder_input_ids` respectively.");
    else if (k == "low_memory" && v.is_boolean() && v.get<bool>())
      throw ValueError("`low_memory=True` is not supported after the beam search refactor (transformers 4.51)");
    else if (unsupported_setting(k, v))
      throw UnsupportedError("generate: generation config key `" + k + "` = " + quote_input(v.dump()) +
                             " selects a mode this library does not implement (greedy, sampling and beam search "
                             "are supported)");
    // other keys (output_*, transformers_version, _from_model_config, ...) do not change the search
  }
}

// The keys one at a time, so that a value of the wrong type (nlohmann's type_error from a get<T>()
// above) is reported with its key and value instead of as nlohmann's bare "type must be ..." text.
void apply_json(ResolvedGenerationConfig& c, const ojson& j) {
  if (!j.is_object()) throw FormatError("generation config: expected a JSON object, found " + quote_input(j.dump()));
  for (const auto& [k, v] : j.items()) {
    try {
      apply_json_unchecked(c, ojson::object({{k, v}}));
    } catch (const nlohmann::json::exception&) {
      throw FormatError("generation config: `" + escape_input(k) + "` has a value of the wrong type or shape: " +
                        quote_input(v.dump()));
    }
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
  // generation_config.update(**kwargs): every option that is set replaces the value.
#define TRANSFORMERS_TAKE_OPTION(name, O, R, def, on_null) take(c.name, o.name);
  TRANSFORMERS_GENERATION_FIELDS(TRANSFORMERS_TAKE_OPTION)
#undef TRANSFORMERS_TAKE_OPTION

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
