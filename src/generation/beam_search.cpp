// Beam search as transformers 4.51's vectorised _beam_search ranks and finalises beams: the top
// max(2, 1 + n_eos) * num_beams continuations per batch item, finished hypotheses merged with a
// -1e9 offset for those that cannot enter, length penalty applied at finishing time, and the stop
// test of _beam_search_has_unfinished_sequences. All scores are float32 as in torch.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <new>
#include <stdexcept>

#include "generation_internal.hpp"
#include "transformers/core/checked.hpp"
#include "transformers/ops/random.hpp"

namespace transformers::generation_detail {

namespace {

constexpr float kBig = -1.0e9f;

// Indices of the k largest values (descending; equal values keep the lower index first).
std::vector<int64_t> topk_indices(const float* v, int64_t n, int64_t k) {
  std::vector<int64_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  auto greater = [&](int64_t a, int64_t b) {
    const bool na = std::isnan(v[a]), nb = std::isnan(v[b]);
    if (na != nb) return na;  // NaN ranks first, like torch.topk
    if (v[a] != v[b]) return v[a] > v[b];
    return a < b;
  };
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), greater);
  idx.resize(static_cast<size_t>(k));
  return idx;
}

struct Hyp {
  std::vector<int64_t> seq;      // max_length tokens (unfilled = fill value)
  std::vector<int64_t> indices;  // max_length - prompt beam indices (-1 = none)
  float score = 0;
  bool finished = false;
};

}  // namespace

GenerateOutput beam_search(PreTrainedModel& model, TokenRows rows, std::vector<std::vector<int64_t>> mask,
                           const ResolvedGenerationConfig& c, const LogitsProcessorList& processors,
                           const StoppingCriteriaList& criteria, const GenerationOptions& options) {
  const int64_t K = c.num_beams;
  const int64_t B = int64_t(rows.size()) / K;
  const int64_t prompt_len = int64_t(rows[0].size());
  const int64_t max_length = c.max_length;
  const int64_t n_eos = int64_t(c.eos_token_id.size());
  const int64_t keep = std::max<int64_t>(2, 1 + n_eos) * K;
  // Python: `pad_token_id or eos_token_id[0] if eos_token_id is not None else -1` (a pad id of 0 is falsy)
  const int64_t fill = n_eos > 0 ? (c.pad_token_id && *c.pad_token_id != 0 ? *c.pad_token_id : c.eos_token_id[0]) : -1;
  const int64_t gen_len = std::max<int64_t>(max_length - prompt_len, 0);
  const double lp = c.length_penalty;
  ops::Generator& gen = options.generator ? *options.generator : ops::default_generator();

  // running (alive) and finished hypotheses, [B][K]
  std::vector<std::vector<Hyp>> running(static_cast<size_t>(B)), finished(static_cast<size_t>(B));
  // Like 4.51's torch.full((batch, num_beams, max_length)), every hypothesis holds max_length ids up
  // front; a max_length from a file or the CLI that cannot be held is a typed error, not a crash.
  checked_mul(checked_mul(B * K, 4, "beam search: hypotheses"), std::max(max_length, prompt_len),
              "beam search: num_beams x batch x max_length token ids");
  try {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k) {
      Hyp h;
      h.seq.assign(size_t(std::max(max_length, prompt_len)), fill);
      std::copy(rows[size_t(b * K + k)].begin(), rows[size_t(b * K + k)].end(), h.seq.begin());
      h.indices.assign(size_t(gen_len), -1);
      h.score = k == 0 ? 0.0f : kBig;
      running[size_t(b)].push_back(h);
      Hyp f = h;
      f.score = kBig;
      finished[size_t(b)].push_back(f);
    }
  } catch (const std::bad_alloc&) {
    throw EnvironmentError("beam search: out of memory holding " + std::to_string(B * K) + " hypotheses of max_length " +
                           std::to_string(max_length) + " tokens");
  } catch (const std::length_error&) {
    throw EnvironmentError("beam search: max_length " + std::to_string(max_length) + " is larger than a vector can hold");
  }

  DecoderStepper stepper(model, std::move(mask), c.use_cache, std::max<int64_t>(max_length - 1, prompt_len));
  GenerateOutput out;
  int64_t cur_len = prompt_len;
  TokenRows flat(static_cast<size_t>(B * K));
  std::vector<float> logp, acc;
  while (true) {
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < K; ++k) {
        const auto& s = running[size_t(b)][size_t(k)].seq;
        flat[size_t(b * K + k)].assign(s.begin(), s.begin() + cur_len);
      }
    int64_t V = 0;
    std::vector<float> logits = stepper.next_logits(flat, V);
    if (options.output_logits) out.logits.push_back(Tensor::from_vector(logits, {B * K, V}));
    logp.resize(logits.size());
    for (int64_t r = 0; r < B * K; ++r) log_softmax_row(logits.data() + r * V, logp.data() + r * V, V);
    processors.process(flat, logp.data(), V);
    if (options.output_scores) out.scores.push_back(Tensor::from_vector(logp, {B * K, V}));

    // top-k continuations of each batch item over all its beams
    std::vector<std::vector<Hyp>> cand(static_cast<size_t>(B));
    std::vector<std::vector<float>> cand_logp(static_cast<size_t>(B));
    acc.resize(static_cast<size_t>(K * V));
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t k = 0; k < K; ++k) {
        const float add = running[size_t(b)][size_t(k)].score;
        const float* src = logp.data() + (b * K + k) * V;
        for (int64_t v = 0; v < V; ++v) acc[size_t(k * V + v)] = src[v] + add;
      }
      std::vector<int64_t> top;
      if (c.do_sample) {
        std::vector<float> probs(acc.size());
        softmax_row(acc.data(), probs.data(), K * V);
        top = ops::multinomial(Tensor::from_vector(probs, {K * V}), keep, false, gen).to_vector<int64_t>();
      } else {
        top = topk_indices(acc.data(), K * V, keep);
      }
      for (int64_t j = 0; j < keep; ++j) {
        const int64_t beam = top[size_t(j)] / V, tok = top[size_t(j)] % V;
        Hyp h = running[size_t(b)][size_t(beam)];
        h.seq[size_t(cur_len)] = tok;
        h.indices[size_t(cur_len - prompt_len)] = b * K + beam;
        cand[size_t(b)].push_back(std::move(h));
        cand_logp[size_t(b)].push_back(acc[size_t(top[size_t(j)])]);
      }
    }
    // stopping criteria on every candidate
    TokenRows cand_rows;
    for (int64_t b = 0; b < B; ++b)
      for (const auto& h : cand[size_t(b)]) cand_rows.emplace_back(h.seq.begin(), h.seq.begin() + cur_len + 1);
    const std::vector<bool> hits = criteria.is_done(cand_rows);
    auto hit = [&](int64_t b, int64_t j) { return bool(hits[size_t(b * keep + j)]); };

    std::vector<int64_t> beam_idx(static_cast<size_t>(B * K));
    const float len_pen = float(std::pow(double(cur_len + 1 - prompt_len), lp));
    for (int64_t b = 0; b < B; ++b) {
      // running beams for the next step: best K candidates that did not stop
      std::vector<float> run_lp(static_cast<size_t>(keep));
      for (int64_t j = 0; j < keep; ++j) run_lp[size_t(j)] = cand_logp[size_t(b)][size_t(j)] + (hit(b, j) ? kBig : -0.0f);
      // finished candidates: only the top K may finish; the length penalty divides their score
      bool all_finished = true;
      for (const auto& f : finished[size_t(b)]) all_finished = all_finished && f.finished;
      const bool full = all_finished && c.early_stopping == EarlyStopping::True;
      std::vector<float> fin_lp(static_cast<size_t>(keep));
      std::vector<bool> did(static_cast<size_t>(keep));
      for (int64_t j = 0; j < keep; ++j) {
        did[size_t(j)] = hit(b, j) && j < K;
        float v = cand_logp[size_t(b)][size_t(j)] / len_pen;
        v = v + (full ? kBig : -0.0f);
        v = v + (did[size_t(j)] ? -0.0f : kBig);
        fin_lp[size_t(j)] = v;
      }
      // merge previous finished (first) with the new ones and keep the best K
      std::vector<float> merged(static_cast<size_t>(K + keep));
      for (int64_t k = 0; k < K; ++k) merged[size_t(k)] = finished[size_t(b)][size_t(k)].score;
      for (int64_t j = 0; j < keep; ++j) merged[size_t(K + j)] = fin_lp[size_t(j)];
      std::vector<int64_t> best_fin = topk_indices(merged.data(), K + keep, K);
      std::vector<Hyp> new_fin;
      for (int64_t i : best_fin) {
        Hyp h = i < K ? finished[size_t(b)][size_t(i)] : cand[size_t(b)][size_t(i - K)];
        h.score = merged[size_t(i)];
        h.finished = i < K ? finished[size_t(b)][size_t(i)].finished : bool(did[size_t(i - K)]);
        new_fin.push_back(std::move(h));
      }
      std::vector<int64_t> best_run = topk_indices(run_lp.data(), keep, K);
      std::vector<Hyp> new_run;
      for (int64_t k = 0; k < K; ++k) {
        Hyp h = cand[size_t(b)][size_t(best_run[size_t(k)])];
        h.score = run_lp[size_t(best_run[size_t(k)])];
        beam_idx[size_t(b * K + k)] = h.indices[size_t(cur_len - prompt_len)];
        new_run.push_back(std::move(h));
      }
      finished[size_t(b)] = std::move(new_fin);
      running[size_t(b)] = std::move(new_run);
    }
    stepper.extend_mask();
    stepper.reorder(beam_idx);
    cur_len += 1;

    // _beam_search_has_unfinished_sequences
    const double best_len = (c.early_stopping == EarlyStopping::Never && lp > 0.0) ? double(max_length - prompt_len)
                                                                                   : double(cur_len - prompt_len);
    const float denom = float(std::pow(best_len, lp));
    bool improvement = false, all_fin = true, all_hit = true;
    for (int64_t b = 0; b < B; ++b) {
      const float best_running = running[size_t(b)][0].score / denom;
      float min_fin = finished[size_t(b)][0].score;
      for (const auto& f : finished[size_t(b)]) min_fin = std::min(min_fin, f.score);
      for (const auto& f : finished[size_t(b)]) {
        improvement = improvement || best_running > (f.finished ? min_fin : kBig);
        all_fin = all_fin && f.finished;
      }
    }
    for (bool h : hits) all_hit = all_hit && h;
    const bool open_beam = !(all_fin && c.early_stopping == EarlyStopping::True);
    if (!(improvement && open_beam && !all_hit)) break;
  }

  // the best num_return_sequences finished hypotheses of each batch item
  const int64_t R = c.num_return_sequences;
  int64_t max_generated = 0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < R; ++k) {
      const auto& ind = finished[size_t(b)][size_t(k)].indices;
      max_generated = std::max<int64_t>(max_generated, std::count_if(ind.begin(), ind.end(), [](int64_t v) { return v != -1; }));
    }
  const int64_t out_len = prompt_len + max_generated;
  std::vector<int64_t> seqs, inds;
  std::vector<float> scores;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < R; ++k) {
      const Hyp& h = finished[size_t(b)][size_t(k)];
      seqs.insert(seqs.end(), h.seq.begin(), h.seq.begin() + out_len);
      inds.insert(inds.end(), h.indices.begin(), h.indices.begin() + max_generated);
      scores.push_back(h.score);
    }
  out.sequences = Tensor::from_vector(seqs, {B * R, out_len});
  out.beam_indices = Tensor::from_vector(inds, {B * R, max_generated});
  out.sequences_scores = Tensor::from_vector(scores, {B * R});
  out.past_key_values = stepper.cache();
  return out;
}

}  // namespace transformers::generation_detail
