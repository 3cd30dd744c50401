// generate() for decoder-only models: processor and criteria lists in 4.51's order, the per-step
// model runner with a cache allocated once, and the greedy / sampling loop (_sample).
#include "transformers/generation/utils.hpp"

#include <algorithm>
#include <cmath>

#include "generation_internal.hpp"
#include "transformers/core/autograd.hpp"
#include "transformers/core/checked.hpp"
#include "transformers/generation/configuration_utils.hpp"
#include "transformers/ops/random.hpp"

namespace transformers {

using generation_detail::DecoderStepper;

void CallbackStreamer::put(const Tensor& value) {
  if (!prompt_seen_) {  // the first put is the prompt, as in Python's TextStreamer(skip_prompt=True)
    prompt_seen_ = true;
    return;
  }
  if (on_tokens_) on_tokens_(value.to_vector<int64_t>());
}

LogitsProcessorList get_logits_processor(const ResolvedGenerationConfig& c, int64_t input_ids_seq_length,
                                         const std::vector<std::shared_ptr<LogitsProcessor>>& extra) {
  LogitsProcessorList p;
  const auto& eos = c.eos_token_id;
  if (c.sequence_bias) p.push_back(std::make_shared<SequenceBiasLogitsProcessor>(*c.sequence_bias));
  if (c.repetition_penalty != 1.0) p.push_back(std::make_shared<RepetitionPenaltyLogitsProcessor>(c.repetition_penalty));
  if (c.no_repeat_ngram_size > 0) p.push_back(std::make_shared<NoRepeatNGramLogitsProcessor>(c.no_repeat_ngram_size));
  if (c.bad_words_ids) p.push_back(std::make_shared<NoBadWordsLogitsProcessor>(*c.bad_words_ids, eos));
  if (c.min_length > 0 && !eos.empty()) p.push_back(std::make_shared<MinLengthLogitsProcessor>(c.min_length, eos));
  if (c.min_new_tokens && *c.min_new_tokens > 0 && !eos.empty())
    p.push_back(std::make_shared<MinNewTokensLengthLogitsProcessor>(input_ids_seq_length, *c.min_new_tokens, eos));
  if (c.forced_bos_token_id) p.push_back(std::make_shared<ForcedBOSTokenLogitsProcessor>(*c.forced_bos_token_id));
  if (!c.forced_eos_token_id.empty())
    p.push_back(std::make_shared<ForcedEOSTokenLogitsProcessor>(c.max_length, c.forced_eos_token_id));
  if (c.remove_invalid_values) p.push_back(std::make_shared<InfNanRemoveLogitsProcessor>());
  if (c.exponential_decay_length_penalty) {
    if (eos.empty()) throw ValueError("generate: `exponential_decay_length_penalty` needs an `eos_token_id`");
    p.push_back(std::make_shared<ExponentialDecayLengthPenalty>(*c.exponential_decay_length_penalty, eos,
                                                                input_ids_seq_length));
  }
  if (c.suppress_tokens) p.push_back(std::make_shared<SuppressTokensLogitsProcessor>(*c.suppress_tokens));
  if (c.begin_suppress_tokens) {
    const int64_t begin = (input_ids_seq_length > 1 || !c.forced_bos_token_id) ? input_ids_seq_length
                                                                                : input_ids_seq_length + 1;
    p.push_back(std::make_shared<SuppressTokensAtBeginLogitsProcessor>(*c.begin_suppress_tokens, begin));
  }
  for (const auto& e : extra) p.push_back(e);
  if (c.do_sample) {
    // beam sampling keeps one non-eos token more than there are eos tokens
    const int64_t keep = c.num_beams > 1 ? int64_t(eos.size()) + 1 : 1;
    if (c.temperature != 1.0) p.push_back(std::make_shared<TemperatureLogitsWarper>(c.temperature));
    if (c.top_k != 0) p.push_back(std::make_shared<TopKLogitsWarper>(c.top_k, kFilterValue, keep));
    if (c.top_p < 1.0) p.push_back(std::make_shared<TopPLogitsWarper>(c.top_p, kFilterValue, keep));
    if (c.min_p) p.push_back(std::make_shared<MinPLogitsWarper>(*c.min_p, kFilterValue, keep));
    if (c.typical_p < 1.0) p.push_back(std::make_shared<TypicalLogitsWarper>(c.typical_p, kFilterValue, keep));
    if (c.epsilon_cutoff > 0.0 && c.epsilon_cutoff < 1.0)
      p.push_back(std::make_shared<EpsilonLogitsWarper>(c.epsilon_cutoff, kFilterValue, keep));
    if (c.eta_cutoff > 0.0 && c.eta_cutoff < 1.0)
      p.push_back(std::make_shared<EtaLogitsWarper>(c.eta_cutoff, kFilterValue, keep));
  }
  if (c.renormalize_logits) p.push_back(std::make_shared<LogitNormalization>());
  return p;
}

StoppingCriteriaList get_stopping_criteria(const ResolvedGenerationConfig& c, const Tokenizer* tokenizer,
                                           std::optional<int64_t> max_position_embeddings,
                                           const std::vector<std::shared_ptr<StoppingCriteria>>& extra) {
  StoppingCriteriaList s;
  s.push_back(std::make_shared<MaxLengthCriteria>(c.max_length, max_position_embeddings));
  if (c.max_time) s.push_back(std::make_shared<MaxTimeCriteria>(*c.max_time));
  if (!c.stop_strings.empty()) {
    if (!tokenizer)
      throw ValueError("There are one or more stop strings, either in the arguments to `generate` or in the model's "
                       "generation config, but we could not locate a tokenizer. When generating with stop strings, "
                       "you must pass the model's tokenizer to the `tokenizer` argument of `generate`.");
    s.push_back(std::make_shared<StopStringCriteria>(*tokenizer, c.stop_strings));
  }
  if (!c.eos_token_id.empty()) s.push_back(std::make_shared<EosTokenCriteria>(c.eos_token_id));
  for (const auto& e : extra) s.push_back(e);
  return s;
}

namespace generation_detail {

Tensor rows_to_tensor(const TokenRows& rows) {
  const int64_t b = int64_t(rows.size()), l = rows.empty() ? 0 : int64_t(rows[0].size());
  std::vector<int64_t> flat;
  flat.reserve(static_cast<size_t>(b * l));
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return Tensor::from_vector(flat, {b, l});
}

void choose_next_tokens(const float* scores, int64_t b, int64_t vocab, bool do_sample, ops::Generator& gen,
                        std::vector<float>& probs, std::vector<int64_t>& next) {
  next.resize(size_t(b));
  if (do_sample) {
    probs.resize(size_t(b * vocab));
    for (int64_t r = 0; r < b; ++r) softmax_row(scores + r * vocab, probs.data() + r * vocab, vocab);
    Tensor picked = ops::multinomial(Tensor::from_vector(probs, {b, vocab}), 1, false, gen);
    std::vector<int64_t> p = picked.to_vector<int64_t>();
    for (int64_t r = 0; r < b; ++r) next[size_t(r)] = p[size_t(r)];
    return;
  }
  for (int64_t r = 0; r < b; ++r) {  // torch.argmax: first maximum, NaN counts as the maximum
    const float* s = scores + r * vocab;
    int64_t best = 0;
    for (int64_t v = 1; v < vocab; ++v) {
      if (std::isnan(s[best])) break;
      if (std::isnan(s[v]) || s[v] > s[best]) best = v;
    }
    next[size_t(r)] = best;
  }
}

DecoderStepper::DecoderStepper(PreTrainedModel& model, std::vector<std::vector<int64_t>> attention_mask,
                               bool use_cache, int64_t max_cache_len)
    : model_(model), mask_(std::move(attention_mask)), use_cache_(use_cache) {
  // The whole generation is preallocated only while it is short: past its capacity the Cache grows
  // by doubling (4.51's DynamicCache grows by one token per step and preallocates nothing), so a
  // max_new_tokens of 1e9 costs memory as tokens come instead of hundreds of GB up front.
  const int64_t prompt_len = mask_.empty() ? 0 : int64_t(mask_[0].size());
  const int64_t prealloc = std::min(max_cache_len, prompt_len + kCachePreallocHeadroom);
  if (use_cache_) cache_ = std::make_shared<Cache>(CacheOptions{.max_cache_len = prealloc});
}

std::vector<float> DecoderStepper::next_logits(const TokenRows& rows, int64_t& vocab) {
  const int64_t b = int64_t(rows.size());
  const int64_t cur_len = int64_t(rows[0].size());
  const int64_t past = use_cache_ ? cache_->get_seq_length() : 0;
  const int64_t n = cur_len - past;  // tokens the model has not seen yet
  std::vector<int64_t> ids, pos, mask;
  ids.reserve(static_cast<size_t>(b * n));
  pos.reserve(static_cast<size_t>(b * n));
  mask.reserve(static_cast<size_t>(b * cur_len));
  for (int64_t r = 0; r < b; ++r) {
    const auto& m = mask_[size_t(r)];
    int64_t cum = 0;
    for (int64_t t = 0; t < cur_len; ++t) {
      cum += m[size_t(t)] != 0 ? 1 : 0;
      if (t >= past) {
        ids.push_back(rows[size_t(r)][size_t(t)]);
        pos.push_back(m[size_t(t)] == 0 ? 1 : cum - 1);
      }
    }
    mask.insert(mask.end(), m.begin(), m.end());
  }
  ModelInputs in;
  in.input_ids = Tensor::from_vector(ids, {b, n});
  in.attention_mask = Tensor::from_vector(mask, {b, cur_len});
  in.position_ids = Tensor::from_vector(pos, {b, n});
  in.past_key_values = use_cache_ ? cache_.get() : nullptr;
  in.use_cache = use_cache_;
  in.logits_to_keep = 1;
  ModelOutput out = model_.forward(in);
  if (!out.logits.defined() || out.logits.dim() != 3 || out.logits.size(0) != b)
    throw ShapeError("generate: the model must return logits [batch, seq, vocab] for " + std::to_string(b) +
                     " rows, found " + (out.logits.defined() ? shape_str(out.logits.shape()) : std::string("none")));
  vocab = out.logits.size(2);
  Tensor last = out.logits.select(1, out.logits.size(1) - 1);
  return last.to_vector<float>();
}

void DecoderStepper::extend_mask() {
  for (auto& m : mask_) m.push_back(1);
}

void DecoderStepper::reorder(const std::vector<int64_t>& beam_idx) {
  std::vector<std::vector<int64_t>> m;
  m.reserve(beam_idx.size());
  for (int64_t i : beam_idx) m.push_back(mask_[size_t(i)]);
  mask_ = std::move(m);
  if (use_cache_ && cache_->get_seq_length() > 0) cache_->reorder_cache(Tensor::from_vector(beam_idx));
}

GenerateOutput sample_or_greedy(PreTrainedModel& model, TokenRows rows, std::vector<std::vector<int64_t>> mask,
                                const ResolvedGenerationConfig& c, const LogitsProcessorList& processors,
                                const StoppingCriteriaList& criteria, const GenerationOptions& options) {
  const int64_t b = int64_t(rows.size());
  const bool has_eos = !c.eos_token_id.empty();
  const int64_t pad = c.pad_token_id.value_or(0);
  if (has_eos && !c.pad_token_id)
    throw ValueError("generate: `pad_token_id` has to be defined when `eos_token_id` is");
  DecoderStepper stepper(model, std::move(mask), c.use_cache, std::max<int64_t>(c.max_length - 1, int64_t(rows[0].size())));
  ops::Generator& gen = options.generator ? *options.generator : ops::default_generator();
  GenerateOutput out;
  std::vector<bool> unfinished(size_t(b), true);
  std::vector<int64_t> next(static_cast<size_t>(b));
  std::vector<float> probs;
  while (true) {
    int64_t vocab = 0;
    std::vector<float> logits = stepper.next_logits(rows, vocab);
    if (options.output_logits) out.logits.push_back(Tensor::from_vector(logits, {b, vocab}));
    std::vector<float>& scores = logits;  // processed in place; raw logits were copied above
    processors.process(rows, scores.data(), vocab);
    if (options.output_scores) out.scores.push_back(Tensor::from_vector(scores, {b, vocab}));
    choose_next_tokens(scores.data(), b, vocab, c.do_sample, gen, probs, next);
    for (int64_t r = 0; r < b; ++r) {
      if (has_eos && !unfinished[size_t(r)]) next[size_t(r)] = pad;
      rows[size_t(r)].push_back(next[size_t(r)]);
    }
    stepper.extend_mask();
    if (options.streamer) options.streamer->put(Tensor::from_vector(next));
    const std::vector<bool> done = criteria.is_done(rows);
    bool any = false;
    for (int64_t r = 0; r < b; ++r) {
      unfinished[size_t(r)] = unfinished[size_t(r)] && !done[size_t(r)];
      any = any || unfinished[size_t(r)];
    }
    if (!any) break;
  }
  if (options.streamer) options.streamer->end();
  out.sequences = rows_to_tensor(rows);
  out.past_key_values = stepper.cache();
  return out;
}

}  // namespace generation_detail

GenerateOutput generate(PreTrainedModel& model, const Tensor& input_ids, const Tensor& attention_mask,
                        const GenerationOptions& options) {
  autograd::NoGradGuard no_grad;  // Python's @torch.no_grad() on generate()
  if (!input_ids.defined() || input_ids.dim() != 2 || input_ids.numel() == 0)
    throw ShapeError("generate: input_ids must be a non-empty 2-D [batch, length] tensor, found " +
                     (input_ids.defined() ? shape_str(input_ids.shape()) : std::string("an undefined tensor")));
  if (model.config().is_encoder_decoder())
    throw UnsupportedError("generate: encoder-decoder models are not supported yet (model_type " +
                           model.config().model_type() + ")");
  TokenRows rows = generation_detail::ids_to_rows(input_ids);
  const int64_t batch = int64_t(rows.size()), len = int64_t(rows[0].size());
  std::optional<int64_t> max_pos;
  if (model.config().has("max_position_embeddings") && !model.config().raw_at("max_position_embeddings").is_null())
    max_pos = model.config().get<int64_t>("max_position_embeddings");
  const nlohmann::ordered_json base =
      options.generation_config ? *options.generation_config : model_generation_config(model);
  // A loaded generation_config.json is named in the errors about its values.
  const std::shared_ptr<GenerationConfig> loaded = options.generation_config ? nullptr : model.generation_config();
  ResolvedGenerationConfig c =
      resolve_generation_config(base, options, len, max_pos, loaded ? loaded->source_file() : std::string());
  if (options.streamer && c.num_beams > 1)
    throw ValueError("`streamer` cannot be used with beam search (yet!). Make sure that `num_beams` is set to 1.");

  // attention mask: given, or inferred from pad tokens when pad is not an eos (Python's rule)
  std::vector<std::vector<int64_t>> mask(size_t(batch), std::vector<int64_t>(size_t(len), 1));
  if (attention_mask.defined()) {
    if (attention_mask.dim() != 2 || attention_mask.size(0) != batch || attention_mask.size(1) != len)
      throw ShapeError("generate: attention_mask must have input_ids' shape " + shape_str(input_ids.shape()) +
                       ", found " + shape_str(attention_mask.shape()));
    TokenRows m = generation_detail::ids_to_rows(attention_mask.is_floating_point() ? attention_mask.to(DType::Int64)
                                                                                    : attention_mask);
    for (auto& r : m)
      for (auto& v : r) v = v != 0 ? 1 : 0;
    mask = std::move(m);
  } else if (c.pad_token_id) {
    const int64_t pad = *c.pad_token_id;
    bool pad_in_inputs = false;
    for (const auto& r : rows) pad_in_inputs = pad_in_inputs || std::find(r.begin(), r.end(), pad) != r.end();
    const bool pad_is_eos = std::find(c.eos_token_id.begin(), c.eos_token_id.end(), pad) != c.eos_token_id.end();
    if (pad_in_inputs && !pad_is_eos)
      for (int64_t r = 0; r < batch; ++r)
        for (int64_t t = 0; t < len; ++t) mask[size_t(r)][size_t(t)] = rows[size_t(r)][size_t(t)] != pad ? 1 : 0;
  }
  if (options.streamer) options.streamer->put(input_ids);

  LogitsProcessorList processors = get_logits_processor(c, len, options.logits_processor);
  StoppingCriteriaList criteria = get_stopping_criteria(c, options.tokenizer, max_pos, options.stopping_criteria);

  // _expand_inputs_for_generation: each row repeated (repeat_interleave) per returned sequence / beam
  const int64_t expand = c.num_beams > 1 ? c.num_beams : c.num_return_sequences;
  if (expand > 1) {
    // Like torch's repeat_interleave, the expanded batch is sized once up front: a num_beams or
    // num_return_sequences from a file or the CLI that cannot be held fails here at once
    // (checked, then one allocation), not after millions of small row copies.
    const int64_t expanded = checked_mul(batch, expand, "generate: batch size * num_beams (or num_return_sequences)");
    checked_mul(checked_mul(expanded, len, "generate: expanded input_ids"), int64_t(2 * sizeof(int64_t)),
                "generate: expanded input_ids bytes");
    TokenRows r2;
    std::vector<std::vector<int64_t>> m2;
    try {
      r2.reserve(size_t(expanded));
      m2.reserve(size_t(expanded));
    } catch (const std::exception&) {  // bad_alloc or length_error
      throw EnvironmentError("generate: out of memory expanding " + std::to_string(batch) + " rows to " +
                             std::to_string(expanded) + " (num_beams / num_return_sequences " + std::to_string(expand) + ")");
    }
    for (int64_t r = 0; r < batch; ++r)
      for (int64_t k = 0; k < expand; ++k) {
        r2.push_back(rows[size_t(r)]);
        m2.push_back(mask[size_t(r)]);
      }
    rows = std::move(r2);
    mask = std::move(m2);
  }
  GenerateOutput out = c.num_beams > 1
                           ? generation_detail::beam_search(model, std::move(rows), std::move(mask), c, processors,
                                                            criteria, options)
                           : generation_detail::sample_or_greedy(model, std::move(rows), std::move(mask), c,
                                                                 processors, criteria, options);
  out.generation_config = c;
  return out;
}

}  // namespace transformers
