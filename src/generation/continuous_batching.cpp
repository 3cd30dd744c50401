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

  Sequence prepare(SequenceRequest request);

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

  // Where a joining row's keys/values are: row `row` of a group prefill's cache, columns
  // [start, start + len) (the group is left-padded to its longest prompt).
  struct Source {
    const Cache* cache;
    int64_t row, start, len;
  };

  // Copies prefilled rows into new last rows of the batch cache (one rebuild for all of them).
  void join(const std::vector<Source>& add) {
    if (add.empty()) return;
    const int64_t rows = cache ? cache->batch_size() : 0;
    const int64_t past = cache ? cache->get_seq_length(0) : 0;
    int64_t width = past;
    for (const Source& a : add) width = std::max(width, a.len);
    auto merged = std::make_shared<Cache>(CacheOptions{.max_cache_len = width + kBatchCacheHeadroom});
    for (int64_t l = 0; l < add[0].cache->num_layers(); ++l) {
      auto widen = [&](const Tensor& old_rows, auto layer_of) {
        const Tensor first = layer_of(*add[0].cache);
        Tensor t = Tensor::zeros({rows + int64_t(add.size()), first.size(1), width, first.size(3)}, first.dtype());
        if (rows > 0) t.narrow(0, 0, rows).narrow(2, 0, past).copy_(old_rows);
        for (size_t i = 0; i < add.size(); ++i) {
          const Source& a = add[i];
          t.narrow(0, rows + int64_t(i), 1).narrow(2, 0, a.len).copy_(layer_of(*a.cache).narrow(0, a.row, 1).narrow(2, a.start, a.len));
        }
        return t;
      };
      const Tensor k = widen(cache ? cache->key_cache(l) : Tensor(), [&](const Cache& c) { return c.key_cache(l); });
      const Tensor v = widen(cache ? cache->value_cache(l) : Tensor(), [&](const Cache& c) { return c.value_cache(l); });
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

// Checks a request and builds its sequence state (generate()'s config, processors, criteria); the
// errors add() documents, nothing added.
ContinuousBatch::Impl::Sequence ContinuousBatch::Impl::prepare(SequenceRequest request) {
  Impl& m = *this;
  if (request.input_ids.empty()) throw ShapeError("ContinuousBatch::add: the prompt (input_ids) is empty");
  const int64_t len = int64_t(request.input_ids.size());
  Sequence s;
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
  return s;
}

// Groups of prompts prefilled by one forward each: indices into `lens`, longest first. Prompts are
// taken longest first and a group stays open while left-padding it to its longest prompt wastes at
// most a quarter of its tokens, so equal lengths (a burst of similar requests) share one forward
// with no padding at all, and a short prompt never pays for a much longer one.
static std::vector<std::vector<size_t>> prefill_groups(const std::vector<int64_t>& lens) {
  std::vector<size_t> order(lens.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lens[a] > lens[b]; });
  std::vector<std::vector<size_t>> groups;
  int64_t longest = 0, real = 0;
  for (size_t i : order) {
    const int64_t n = int64_t(groups.empty() ? 0 : groups.back().size()) + 1;
    if (!groups.empty() && 4 * (n * longest - (real + lens[i])) <= n * longest) {
      groups.back().push_back(i);
      real += lens[i];
      continue;
    }
    groups.push_back({i});
    longest = real = lens[i];
  }
  return groups;
}

SequenceStep ContinuousBatch::add(SequenceRequest request) {
  std::vector<SequenceRequest> one;
  one.push_back(std::move(request));
  Added r = std::move(add_all(std::move(one))[0]);
  if (r.error) std::rethrow_exception(r.error);
  return r.first;
}

std::vector<ContinuousBatch::Added> ContinuousBatch::add_all(std::vector<SequenceRequest> requests) {
  autograd::NoGradGuard no_grad;
  Impl& m = *impl_;
  std::vector<Added> out(requests.size());
  std::vector<std::optional<Impl::Sequence>> seqs(requests.size());
  std::vector<int64_t> lens(requests.size(), 0);
  std::vector<int64_t> valid_lens;
  std::vector<size_t> valid;
  for (size_t i = 0; i < requests.size(); ++i) {
    try {
      lens[i] = int64_t(requests[i].input_ids.size());
      seqs[i] = m.prepare(std::move(requests[i]));
      valid.push_back(i);
      valid_lens.push_back(lens[i]);
    } catch (...) {
      out[i].error = std::current_exception();
    }
  }
  // Ids in request order, as add() one by one would give them.
  for (size_t i : valid) seqs[i]->id = m.next_id++;
  std::vector<std::unique_ptr<DecoderStepper>> steppers;
  std::vector<Impl::Source> joining;
  std::vector<size_t> joining_index;
  for (const std::vector<size_t>& g : prefill_groups(valid_lens)) {
    // One forward over the group, each prompt left-padded to the longest (mask 0 on the padding,
    // positions counted from each prompt's first token: generate()'s own batch prefill), so every
    // row's last position holds its first logits. A group of one is exactly generate()'s first step.
    const int64_t width = lens[valid[g[0]]];
    TokenRows rows;
    std::vector<std::vector<int64_t>> mask;
    for (size_t gi : g) {
      const auto& ids = seqs[valid[gi]]->rows[0];
      const int64_t pad = width - int64_t(ids.size());
      std::vector<int64_t> row(size_t(pad), ids[0]);
      row.insert(row.end(), ids.begin(), ids.end());
      rows.push_back(std::move(row));
      std::vector<int64_t> mrow(size_t(width), 1);
      std::fill(mrow.begin(), mrow.begin() + pad, 0);
      mask.push_back(std::move(mrow));
    }
    try {
      auto stepper = std::make_unique<DecoderStepper>(m.model, std::move(mask), true, width);
      int64_t vocab = 0;
      std::vector<float> logits = stepper->next_logits(rows, vocab);
      for (size_t r = 0; r < g.size(); ++r) {
        const size_t i = valid[g[r]];
        Impl::Sequence& s = *seqs[i];
        out[i].first = m.choose(s, logits.data() + int64_t(r) * vocab, vocab);
        if (out[i].first.finished) continue;
        s.cached = lens[i];
        joining.push_back({stepper->cache().get(), int64_t(r), width - lens[i], lens[i]});
        joining_index.push_back(i);
      }
      steppers.push_back(std::move(stepper));
    } catch (...) {
      for (size_t gi : g) out[valid[gi]].error = std::current_exception();
    }
  }
  // Joined in request order (one cache rebuild for all of them).
  std::vector<size_t> perm(joining.size());
  for (size_t j = 0; j < perm.size(); ++j) perm[j] = j;
  std::sort(perm.begin(), perm.end(), [&](size_t a, size_t b) { return joining_index[a] < joining_index[b]; });
  std::vector<Impl::Source> ordered;
  for (size_t j : perm) ordered.push_back(joining[j]);
  m.join(ordered);
  for (size_t j : perm) m.seqs.push_back(std::move(*seqs[joining_index[j]]));
  return out;
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
