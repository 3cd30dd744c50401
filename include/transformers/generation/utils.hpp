#pragma once
// generate(): transformers 4.51's GenerationMixin.generate for decoder-only models — greedy search,
// multinomial sampling and beam search, with the same processors, stopping rules, padding and beam
// ranking, token for token.
//
//   auto out = generate(model, input_ids, attention_mask,
//                       {.max_new_tokens = 20, .num_beams = 4, .early_stopping = EarlyStopping::True});
//   out.sequences;  // int64 [batch * num_return_sequences, prompt + new]
//
// Defaults come from the model's generation config (generation_config.json, or the generation keys
// of config.json as Python's GenerationConfig.from_model_config takes them), then every option set
// here overrides them, as Python's generate(**kwargs) does. The key/value cache is allocated once per
// call for max_length tokens and reordered in place by beam search.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "transformers/core/tensor.hpp"
#include "transformers/generation/generation_fields.hpp"
#include "transformers/generation/logits_process.hpp"
#include "transformers/generation/stopping_criteria.hpp"

namespace transformers {

class PreTrainedModel;
class Cache;
class Tokenizer;
namespace ops { class Generator; }

// Python's streamers: put() first receives the prompt ([batch, len]), then the tokens chosen at
// each step ([batch]); end() once generation is over. Beam search does not stream (as Python).
class BaseStreamer {
 public:
  virtual ~BaseStreamer() = default;
  virtual void put(const Tensor& value) = 0;
  virtual void end() = 0;
};

// A streamer calling `on_tokens` with each step's tokens (one per row); the prompt is skipped.
class CallbackStreamer : public BaseStreamer {
 public:
  explicit CallbackStreamer(std::function<void(const std::vector<int64_t>&)> on_tokens,
                            std::function<void()> on_end = nullptr)
      : on_tokens_(std::move(on_tokens)), on_end_(std::move(on_end)) {}
  void put(const Tensor& value) override;
  void end() override {
    if (on_end_) on_end_();
  }

 private:
  std::function<void(const std::vector<int64_t>&)> on_tokens_;
  std::function<void()> on_end_;
  bool prompt_seen_ = false;
};

// Call-time keyword arguments of generate(); an option left empty keeps the model's default. The
// generation keys come from generation_fields.hpp (one row per key, in that order).
struct GenerationOptions {
  TRANSFORMERS_GENERATION_FIELD_TYPES
#define TRANSFORMERS_GENERATION_OPTION(name, O, R, def, on_null) std::optional<O> name;
  TRANSFORMERS_GENERATION_FIELDS_MAIN(TRANSFORMERS_GENERATION_OPTION)
  // ---- outputs ----
  bool output_scores = false;  // processed scores of every step
  bool output_logits = false;  // raw logits of every step
  TRANSFORMERS_GENERATION_FIELDS_TOKENS(TRANSFORMERS_GENERATION_OPTION)
#undef TRANSFORMERS_GENERATION_OPTION

  // ---- not generation-config keys ----
  // The model's generation config as JSON (generation_config.json). Unset: taken from the model.
  std::optional<nlohmann::ordered_json> generation_config;
  // Extra processors / criteria appended after the built-in ones (Python's logits_processor=, ...).
  std::vector<std::shared_ptr<LogitsProcessor>> logits_processor;
  std::vector<std::shared_ptr<StoppingCriteria>> stopping_criteria;
  const Tokenizer* tokenizer = nullptr;  // needed by stop_strings
  BaseStreamer* streamer = nullptr;
  ops::Generator* generator = nullptr;  // sampling; nullptr = ops::default_generator()
};

// GenerationConfig after merging defaults, the model's config and the options, and after 4.51's
// length and special-token preparation (what generate() actually runs with).
struct ResolvedGenerationConfig {
  TRANSFORMERS_GENERATION_FIELD_TYPES
#define TRANSFORMERS_GENERATION_RESOLVED(name, O, R, def, on_null) R name = def;
  TRANSFORMERS_GENERATION_FIELDS(TRANSFORMERS_GENERATION_RESOLVED)
#undef TRANSFORMERS_GENERATION_RESOLVED
  // pad_token_id after preparation: eos[0] when unset.
};

struct GenerateOutput {
  Tensor sequences;                    // int64 [batch * num_return_sequences, length]
  std::vector<Tensor> scores;          // output_scores: float32 [rows, vocab] per step
  std::vector<Tensor> logits;          // output_logits: float32 [rows, vocab] per step
  Tensor sequences_scores;             // beam search: float32 [batch * num_return_sequences]
  Tensor beam_indices;                 // beam search: int64 [batch * num_return_sequences, new tokens]
  std::shared_ptr<Cache> past_key_values;  // the cache used (allocated once for the whole call)
  ResolvedGenerationConfig generation_config;
};

// The merged configuration for a prompt of `input_ids_length` tokens (steps 1-2 of generate();
// exposed for tests and the CLI). `max_position_embeddings` caps the default max_length as Python does.
// `source_file`: the file the model's generation config came from, named in errors (may be empty).
ResolvedGenerationConfig resolve_generation_config(const nlohmann::ordered_json& model_generation_config,
                                                   const GenerationOptions& options, int64_t input_ids_length,
                                                   std::optional<int64_t> max_position_embeddings = std::nullopt,
                                                   std::string_view source_file = {});

// The model's generation config as JSON: what from_pretrained loaded (generation_config.json), else
// GenerationConfig.from_model_config of its config.
nlohmann::ordered_json model_generation_config(PreTrainedModel& model);

// Python's _get_logits_processor / _get_stopping_criteria for a resolved config.
LogitsProcessorList get_logits_processor(const ResolvedGenerationConfig& config, int64_t input_ids_seq_length,
                                         const std::vector<std::shared_ptr<LogitsProcessor>>& extra = {});
StoppingCriteriaList get_stopping_criteria(const ResolvedGenerationConfig& config, const Tokenizer* tokenizer,
                                           std::optional<int64_t> max_position_embeddings = std::nullopt,
                                           const std::vector<std::shared_ptr<StoppingCriteria>>& extra = {});

// input_ids: integer [batch, len]; attention_mask: [batch, len] (1 = token, 0 = left padding) or
// undefined (then inferred as Python infers it from pad_token_id).
GenerateOutput generate(PreTrainedModel& model, const Tensor& input_ids, const Tensor& attention_mask = {},
                        const GenerationOptions& options = {});

}  // namespace transformers
