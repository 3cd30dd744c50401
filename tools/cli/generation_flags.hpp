#pragma once
// Generation flags shared by transformers-cli generate and chat: each flag is the generation key
// (generation_fields.hpp) in kebab case, bound to the GenerationOptions field of that key.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "int_options.hpp"
#include "transformers/generation/utils.hpp"

namespace transformers::cli {

// --max-new-tokens etc.: the flag is the generation key in kebab case.
template <typename T>
CLI::Option* add_generation_option(CLI::App& app, const char* key, std::optional<T>& field) {
  std::string flag = std::string("--") + key;
  for (char& ch : flag)
    if (ch == '_') ch = '-';
  return app.add_option(flag, field);
}

// --max-new-tokens, --min-new-tokens, --do-sample, --temperature, --top-k, --top-p.
inline void add_length_and_sampling_flags(CLI::App& app, GenerationOptions& gen, bool& do_sample) {
  constexpr int64_t kMax = INT64_MAX;
  add_generation_option(app, "max_new_tokens", gen.max_new_tokens)->check(IntRange(1, kMax));
  add_generation_option(app, "min_new_tokens", gen.min_new_tokens)->check(IntRange(0, kMax));
  app.add_flag("--do-sample", do_sample, "multinomial sampling");
  add_generation_option(app, "temperature", gen.temperature);
  add_generation_option(app, "top_k", gen.top_k)->check(IntRange(0, kMax));
  add_generation_option(app, "top_p", gen.top_p);
}

// --repetition-penalty, --no-repeat-ngram-size.
inline void add_penalty_flags(CLI::App& app, GenerationOptions& gen) {
  add_generation_option(app, "repetition_penalty", gen.repetition_penalty);
  add_generation_option(app, "no_repeat_ngram_size", gen.no_repeat_ngram_size)->check(IntRange(0, INT64_MAX));
}

}  // namespace transformers::cli
