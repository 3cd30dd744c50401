// Continuous batching (include/transformers/generation/continuous_batching.hpp): per-sequence
// generate() state (resolved config, processors, criteria, generator) around one shared Cache whose
// rows are the running sequences, each with its own length.
#include "transformers/generation/continuous_batching.hpp"

#include <algorithm>
#include <random>

#include "generation_internal.hpp"
#include "transformers/core/autograd.hpp"
#include "transformers/ops/random.hpp"

namespace transformers {

using generation_detail::DecoderStepper;

namespace {
// Columns a rebuilt batch cache allocates beyond its longest row, so the next steps append in place.
constexpr int64_t kBatchCacheHeadroom = 128;
}  // namespace

struct ContinuousBatch::Impl {
  struct Sequence {
    int64_t id = 0;
    TokenRows rows;  // one row: prompt and generated tokens
    ResolvedGenerationConfig config;
    LogitsProcessorList processors;
    StoppingCriteriaList criteria;
    std::unique_ptr<ops::Generator> own_generator;  // when the request brings none
    ops::Generator* generator = nullptr;
    std::optional<int64_t> top_logprobs;
    int64_t cached = 0;  // tokens whose keys/values are in the cache (all but the last chosen one)
  };

  PreTrainedModel& model;
  std::optional<int64_t> max_pos;
  nlohmann::ordered_json base_config;
  std::string base_source;
  std::vector<Sequence> seqs;  // in cache row order
  std::shared_ptr<Cache> cache;
  int64_t next_id = 0;
  std::vector<float> probs;

  explicit Impl(PreTrainedModel& m) : model(m) {
    if (model.config().is_encoder_decoder())
      throw UnsupportedError("ContinuousBatch: encoder-decoder models are not supported (model_type " +
                             model.config().model_type() + ")");
    if (model.config().has("max_position_embeddings") && !model.config().raw_at("max_position_embeddings").is_null())
      max_pos = model.config().get<int64_t>("max_position_embeddings");
    base_config = model_generation_config(model);
    if (auto loaded = model.generation_config()) base_source = loaded->source_file();
  }

  // Processes one row's logits and picks its token (and the log-probabilities asked for).
  SequenceStep choose(Sequence& s, float* logits, int64_t vocab) {
    SequenceStep out;
    out.id = s.id;
    std::vector<float> raw;
    if (s.top_logprobs) raw.assign(logits, logits + vocab);
    s.processors.process(s.rows, logits, vocab);
    std::vector<int64_t> next;
    generation_detail::choose_next_tokens(logits, 1, vocab, s.config.do_sample, *s.generator, probs, next);
    out.token = next[0];
    s.rows[0].push_back(out.token);
    if (s.top_logprobs) {
      std::vector<float> lp(static_cast<size_t>(vocab));
      generation_detail::log_softmax_row(raw.data(), lp.data(), vocab);
      out.chosen = {out.token, lp[size_t(out.token)]};
      const int64_t k = std::clamp<int64_t>(*s.top_logprobs, 0, vocab);
      std::vector<int64_t> idx(static_cast<size_t>(vocab));
      for (int64_t v = 0; v < vocab; ++v) idx[size_t(v)] = v;
      std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int64_t a, int64_t b) {
        return lp[size_t(a)] > lp[size_t(b)] || (lp[size_t(a)] == lp[size_t(b)] && a < b);
      });
      for (int64_t i = 0; i < k; ++i) out.top.push_back({idx[size_t(i)], lp[size_t(idx[size_t(i)])]});
    }
    out.finished = s.criteria.is_done(s.rows)[0];
    const auto& eos = s.config.eos_token_id;
    out.eos = std::find(eos.begin(), eos.end(), out.token) != eos.end();
    return out;
  }

  // Copies a prefilled sequence's cache (batch 1, `len` tokens) into a new last row of the batch cache.
  void join(const Cache& single, int64_t len) {
    const int64_t rows = cache ? cache->batch_size() : 0;
    const int64_t past = cache ? cache->get_seq_length(0) : 0;
    const int64_t width = std::max(past, len);
    auto merged = std::make_shared<Cache>(CacheOptions{.max_cache_len = width + kBatchCacheHeadroom});
    for (int64_t l = 0; l < single.num_layers(); ++l) {
      auto widen = [&](const Tensor& old_rows, const Tensor& row) {
        Tensor t = Tensor::zeros({rows + 1, row.size(1), width, row.size(3)}, row.dtype());
        if (rows > 0) t.narrow(0, 0, rows).narrow(2, 0, past).copy_(old_rows);
        t.narrow(0, rows, 1).narrow(2, 0, len).copy_(row);
        return t;
      };
      const Tensor k = widen(cache ? cache->key_cache(l) : Tensor(), single.key_cache(l));
      const Tensor v = widen(cache ? cache->value_cache(l) : Tensor(), single.value_cache(l));
      merged->update(k, v, l);
    }
    cache = std::move(merged);
  }

  // Drops the rows of finished sequences (and the columns no remaining row uses).
  void drop(const std::vector<bool>& gone) {
    if (std::find(gone.begin(), gone.end(), true) == gone.end()) return;
    std::vector<int64_t> keep;
    std::vector<Sequence> kept;
    for (size_t r = 0; r < seqs.size(); ++r)
      if (!gone[r]) {
        keep.push_back(int64_t(r));
        kept.push_back(std::move(seqs[r]));
      }
    seqs = std::move(kept);
    if (seqs.empty()) {
      cache.reset();
      return;
    }
    cache->batch_select_indices(Tensor::from_vector(keep));
    int64_t longest = 0;
    for (const auto& s : seqs) longest = std::max(longest, s.cached);
    cache->crop(longest);
  }
};

ContinuousBatch::ContinuousBatch(PreTrainedModel& model) : impl_(std::make_unique<Impl>(model)) {}
ContinuousBatch::~ContinuousBatch() = default;

int64_t ContinuousBatch::size() const { return int64_t(impl_->seqs.size()); }

std::vector<int64_t> ContinuousBatch::sequence(int64_t id) const {
  for (const auto& s : impl_->seqs)
    if (s.id == id) return s.rows[0];
  return {};
}

SequenceStep ContinuousBatch::add(SequenceRequest request) {
  autograd::NoGradGuard no_grad;
  Impl& m = *impl_;
  if (request.input_ids.empty()) throw ShapeError("ContinuousBatch::add: the prompt (input_ids) is empty");
  const int64_t len = int64_t(request.input_ids.size());
  Impl::Sequence s;
  s.config = resolve_generation_config(request.options.generation_config ? *request.options.generation_config
                                                                         : m.base_config,
                                       request.options, len, m.max_pos, m.base_source);
  if (s.config.num_beams > 1 || s.config.num_return_sequences > 1)
    throw UnsupportedError("ContinuousBatch::add: num_beams " + std::to_string(s.config.num_beams) +
                           " and num_return_sequences " + std::to_string(s.config.num_return_sequences) +
                           " must be 1 (add one sequence per returned sequence)");
  if (!s.config.eos_token_id.empty() && !s.config.pad_token_id)
    throw ValueError("generate: `pad_token_id` has to be defined when `eos_token_id` is");
  // A sliding-window mask is computed from cache columns, which are positions only for the longest row.
  if (m.model.config().has("sliding_window") && !m.model.config().raw_at("sliding_window").is_null() &&
      m.model.config().raw_at("sliding_window").is_number_integer() &&
      s.config.max_length > m.model.config().get<int64_t>("sliding_window"))
    throw UnsupportedError("ContinuousBatch::add: the model's sliding_window (" +
                           std::to_string(m.model.config().get<int64_t>("sliding_window")) +
                           ") is shorter than the sequence's max_length (" + std::to_string(s.config.max_length) +
                           "); batched rows of different lengths would see a wrong window");
  s.processors = get_logits_processor(s.config, len, request.options.logits_processor);
  s.criteria = get_stopping_criteria(s.config, request.options.tokenizer, m.max_pos, request.options.stopping_criteria);
  if (request.options.generator) {
    s.generator = request.options.generator;
  } else {
    s.own_generator = std::make_unique<ops::Generator>(std::random_device{}());
    s.generator = s.own_generator.get();
  }
  s.top_logprobs = request.top_logprobs;
  s.rows = {std::move(request.input_ids)};
  s.id = m.next_id;

  // The prefill, alone: exactly generate()'s first step.
  DecoderStepper stepper(m.model, {std::vector<int64_t>(size_t(len), 1)}, true, len + kBatchCacheHeadroom);
  int64_t vocab = 0;
  std::vector<float> logits = stepper.next_logits(s.rows, vocab);
  SequenceStep first = m.choose(s, logits.data(), vocab);
  ++m.next_id;
  if (first.finished) return first;
  s.cached = len;
  m.join(*stepper.cache(), len);
  m.seqs.push_back(std::move(s));
  return first;
}

std::vector<SequenceStep> ContinuousBatch::step() {
  autograd::NoGradGuard no_grad;
  Impl& m = *impl_;
  const int64_t b = int64_t(m.seqs.size());
  if (b == 0) return {};
  const int64_t past = m.cache->get_seq_length(0);
  // Row r: its last token at position cached_r, attending to its own columns [0, cached_r) and to
  // the column `past`, where the Cache's update puts every row's new entry.
  std::vector<int64_t> ids, pos, mask(size_t(b * (past + 1)), 0);
  for (int64_t r = 0; r < b; ++r) {
    const auto& s = m.seqs[size_t(r)];
    ids.push_back(s.rows[0].back());
    pos.push_back(s.cached);
    for (int64_t t = 0; t < s.cached; ++t) mask[size_t(r * (past + 1) + t)] = 1;
    mask[size_t(r * (past + 1) + past)] = 1;
  }
  ModelInputs in;
  in.input_ids = Tensor::from_vector(ids, {b, 1});
  in.attention_mask = Tensor::from_vector(mask, {b, past + 1});
  in.position_ids = Tensor::from_vector(pos, {b, 1});
  in.past_key_values = m.cache.get();
  in.use_cache = true;
  in.logits_to_keep = 1;
  ModelOutput out = m.model.forward(in);
  if (!out.logits.defined() || out.logits.dim() != 3 || out.logits.size(0) != b)
    throw ShapeError("ContinuousBatch::step: the model must return logits [" + std::to_string(b) +
                     ", seq, vocab], found " + (out.logits.defined() ? shape_str(out.logits.shape()) : std::string("none")));
  const int64_t vocab = out.logits.size(2);
  std::vector<float> logits = out.logits.select(1, out.logits.size(1) - 1).to_vector<float>();

  // Each shorter row's new entry moves from the common column down to its own next column.
  for (int64_t l = 0; l < m.cache->num_layers(); ++l) {
    Tensor k = m.cache->key_cache(l), v = m.cache->value_cache(l);
    for (int64_t r = 0; r < b; ++r) {
      const int64_t c = m.seqs[size_t(r)].cached;
      if (c == past) continue;
      k.narrow(0, r, 1).narrow(2, c, 1).copy_(k.narrow(0, r, 1).narrow(2, past, 1));
      v.narrow(0, r, 1).narrow(2, c, 1).copy_(v.narrow(0, r, 1).narrow(2, past, 1));
    }
  }
  int64_t longest = 0;
  for (auto& s : m.seqs) longest = std::max(longest, ++s.cached);
  m.cache->crop(longest);

  std::vector<SequenceStep> steps;
  std::vector<bool> gone(size_t(b), false);
  for (int64_t r = 0; r < b; ++r) {
    steps.push_back(m.choose(m.seqs[size_t(r)], logits.data() + r * vocab, vocab));
    gone[size_t(r)] = steps.back().finished;
  }
  m.drop(gone);
  return steps;
}

bool ContinuousBatch::remove(int64_t id) {
  std::vector<bool> gone(impl_->seqs.size(), false);
  bool found = false;
  for (size_t r = 0; r < gone.size(); ++r)
    if (impl_->seqs[r].id == id) gone[r] = found = true;
  if (found) impl_->drop(gone);
  return found;
}

}  // namespace transformers
