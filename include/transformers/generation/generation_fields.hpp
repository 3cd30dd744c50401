#pragma once
// The generation keys generate() acts on, declared once. Each row gives
//   X(name, OptionT, ResolvedT, default, on_null)
// name       the GenerationConfig attribute and its generation_config.json key (4.51 spelling);
// OptionT    what GenerationOptions holds as std::optional<OptionT> (unset: keep the model's value);
// ResolvedT  the type generate() runs with, in ResolvedGenerationConfig, starting at `default`
//            (4.51's GenerationConfig() default);
// on_null    what a JSON null in the model's generation config gives: a value of ResolvedT, or
//            kNullIsError (a FormatError naming the key).
// Merge rule (the same for every row, Python's generation_config.update(**kwargs)): the model's
// JSON is applied over the defaults, then every option that is set replaces the value.
// From this table come GenerationOptions' and ResolvedGenerationConfig's fields (in this order, so
// designated initializers follow it), the JSON reader and the merge (generation_config_merge.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "transformers/generation/logits_process.hpp"

namespace transformers {

// Python's early_stopping: False, True or "never".
enum class EarlyStopping { False, True, Never };

// An id that may be given as "None" on purpose: `.pad_token_id = kNoneId` is Python's pad_token_id=None.
using OptionalId = std::optional<int64_t>;
inline const OptionalId kNoneId = std::nullopt;

namespace generation_fields {
// Aliases so that types with commas fit the table's macro arguments.
using IdList = std::vector<int64_t>;                    // eos_token_id style: empty = None
using IdLists = std::vector<std::vector<int64_t>>;       // bad_words_ids
using DecayPenalty = std::pair<int64_t, double>;        // exponential_decay_length_penalty
using SequenceBias = SequenceBiasLogitsProcessor::SequenceBias;
using Strings = std::vector<std::string>;
struct NullIsError {};
inline constexpr NullIsError kNullIsError{};
}  // namespace generation_fields

// The table's type names inside a struct that declares fields from it.
#define TRANSFORMERS_GENERATION_FIELD_TYPES                 \
  using IdList = generation_fields::IdList;                 \
  using IdLists = generation_fields::IdLists;               \
  using DecayPenalty = generation_fields::DecayPenalty;     \
  using SequenceBias = generation_fields::SequenceBias;     \
  using Strings = generation_fields::Strings;

// length, strategy, logits manipulation, number of outputs
#define TRANSFORMERS_GENERATION_FIELDS_MAIN(X)                                                                   \
  X(max_length, int64_t, int64_t, 20, kNullIsError)                                                              \
  X(max_new_tokens, int64_t, std::optional<int64_t>, std::nullopt, std::nullopt)                                 \
  X(min_length, int64_t, int64_t, 0, kNullIsError)                                                               \
  X(min_new_tokens, int64_t, std::optional<int64_t>, std::nullopt, std::nullopt)                                 \
  X(early_stopping, EarlyStopping, EarlyStopping, EarlyStopping::False, kNullIsError)                            \
  X(max_time, double, std::optional<double>, std::nullopt, std::nullopt)                                         \
  X(stop_strings, Strings, Strings, {}, Strings{})                                                               \
  X(do_sample, bool, bool, false, kNullIsError)                                                                  \
  X(num_beams, int64_t, int64_t, 1, kNullIsError)                                                                \
  X(use_cache, bool, bool, true, kNullIsError)                                                                   \
  X(temperature, double, double, 1.0, 1.0)                                                                       \
  X(top_k, int64_t, int64_t, 50, int64_t(0)) /* None: no top-k filtering */                                      \
  X(top_p, double, double, 1.0, 1.0)                                                                             \
  X(min_p, double, std::optional<double>, std::nullopt, std::nullopt)                                            \
  X(typical_p, double, double, 1.0, 1.0)                                                                         \
  X(epsilon_cutoff, double, double, 0.0, 0.0)                                                                    \
  X(eta_cutoff, double, double, 0.0, 0.0)                                                                        \
  X(repetition_penalty, double, double, 1.0, 1.0)                                                                \
  X(length_penalty, double, double, 1.0, kNullIsError)                                                           \
  X(no_repeat_ngram_size, int64_t, int64_t, 0, int64_t(0))                                                       \
  X(bad_words_ids, IdLists, std::optional<IdLists>, std::nullopt, std::nullopt)                                  \
  X(renormalize_logits, bool, bool, false, kNullIsError)                                                         \
  X(forced_bos_token_id, OptionalId, OptionalId, std::nullopt, std::nullopt)                                     \
  X(forced_eos_token_id, IdList, IdList, {}, IdList{})                                                           \
  X(remove_invalid_values, bool, bool, false, kNullIsError)                                                      \
  X(exponential_decay_length_penalty, DecayPenalty, std::optional<DecayPenalty>, std::nullopt, std::nullopt)     \
  X(suppress_tokens, IdList, std::optional<IdList>, std::nullopt, std::nullopt)                                  \
  X(begin_suppress_tokens, IdList, std::optional<IdList>, std::nullopt, std::nullopt)                            \
  X(sequence_bias, SequenceBias, std::optional<SequenceBias>, std::nullopt, std::nullopt)                        \
  X(num_return_sequences, int64_t, int64_t, 1, kNullIsError)

// special tokens (an empty eos_token_id list is Python's None)
#define TRANSFORMERS_GENERATION_FIELDS_TOKENS(X)                                                                 \
  X(pad_token_id, OptionalId, OptionalId, std::nullopt, std::nullopt)                                            \
  X(bos_token_id, OptionalId, OptionalId, std::nullopt, std::nullopt)                                            \
  X(eos_token_id, IdList, IdList, {}, IdList{})

#define TRANSFORMERS_GENERATION_FIELDS(X) \
  TRANSFORMERS_GENERATION_FIELDS_MAIN(X)  \
  TRANSFORMERS_GENERATION_FIELDS_TOKENS(X)

}  // namespace transformers
