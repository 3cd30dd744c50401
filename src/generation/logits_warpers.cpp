// Sampling warpers of transformers 4.51 (temperature, top-k, top-p, min-p, typical, epsilon, eta)
// and the float32 softmax helpers they share. Sorting is stable; torch does not promise an order
// between equal scores, so ties are the only place where a mask may legitimately differ.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "transformers/generation/logits_process.hpp"

namespace transformers {

namespace generation_detail {

// Like torch's CPU kernel: subtract the max, exp in float32, one reciprocal of the sum.
void softmax_row(const float* x, float* out, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    out[i] = std::exp(x[i] - m);
    sum += out[i];
  }
  const float inv = float(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) out[i] = out[i] * inv;
}

void log_softmax_row(const float* x, float* out, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(double(x[i]) - double(m));
  const float lse = float(std::log(sum));
  for (int64_t i = 0; i < n; ++i) out[i] = (x[i] - m) - lse;
}

}  // namespace generation_detail

namespace {
using generation_detail::softmax_row;

// The k-th largest value of a row (k >= 1, clamped to n).
float kth_largest(const float* s, int64_t n, int64_t k) {
  k = std::min(k, n);
  std::vector<float> tmp(s, s + n);
  std::nth_element(tmp.begin(), tmp.begin() + (k - 1), tmp.end(), std::greater<float>());
  return tmp[size_t(k - 1)];
}

// Indices of a row sorted by value (stable), ascending or descending.
std::vector<int64_t> argsort(const float* v, int64_t n, bool descending) {
  std::vector<int64_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  if (descending)
    std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return v[a] > v[b]; });
  else
    std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return v[a] < v[b]; });
  return idx;
}

void check_min_keep(int64_t k, const char* who) {
  if (k < 1)
    throw ValueError(std::string(who) + ": `min_tokens_to_keep` has to be a positive integer, but is " +
                     std::to_string(k));
}
}  // namespace

TemperatureLogitsWarper::TemperatureLogitsWarper(double temperature) : temperature_(float(temperature)) {
  if (!(temperature > 0)) {
    std::string msg = "TemperatureLogitsWarper: `temperature` (=" + std::to_string(temperature) +
                      ") has to be a strictly positive float, otherwise your next token scores will be invalid.";
    if (temperature == 0.0) msg += " If you're looking for greedy decoding strategies, set `do_sample=False`.";
    throw ValueError(msg);
  }
}

void TemperatureLogitsWarper::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  for (int64_t i = 0, n = int64_t(rows.size()) * vocab; i < n; ++i) scores[i] = scores[i] / temperature_;
}

TopKLogitsWarper::TopKLogitsWarper(int64_t top_k, float filter_value, int64_t min_tokens_to_keep)
    : top_k_(std::max(top_k, min_tokens_to_keep)), filter_(filter_value) {
  if (top_k <= 0)
    throw ValueError("TopKLogitsWarper: `top_k` has to be a strictly positive integer, but is " + std::to_string(top_k));
}

void TopKLogitsWarper::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  for (size_t r = 0; r < rows.size(); ++r) {
    float* s = scores + int64_t(r) * vocab;
    const float t = kth_largest(s, vocab, top_k_);
    for (int64_t v = 0; v < vocab; ++v)
      if (s[v] < t) s[v] = filter_;
  }
}

TopPLogitsWarper::TopPLogitsWarper(double top_p, float filter_value, int64_t min_tokens_to_keep)
    : top_p_(top_p), filter_(filter_value), min_keep_(min_tokens_to_keep) {
  if (top_p < 0 || top_p > 1.0)
    throw ValueError("TopPLogitsWarper: `top_p` has to be a float > 0 and < 1, but is " + std::to_string(top_p));
  check_min_keep(min_tokens_to_keep, "TopPLogitsWarper");
}

void TopPLogitsWarper::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  const float threshold = float(1.0 - top_p_);  // compared in float32, as torch compares with a scalar
  std::vector<float> sorted(static_cast<size_t>(vocab)), probs(static_cast<size_t>(vocab));
  for (size_t r = 0; r < rows.size(); ++r) {
    float* s = scores + int64_t(r) * vocab;
    std::vector<int64_t> idx = argsort(s, vocab, /*descending=*/false);
    for (int64_t i = 0; i < vocab; ++i) sorted[size_t(i)] = s[idx[size_t(i)]];
    softmax_row(sorted.data(), probs.data(), vocab);
    double cum = 0;  // torch's CPU cumsum accumulates float32 in double
    std::vector<char> remove(static_cast<size_t>(vocab));
    for (int64_t i = 0; i < vocab; ++i) {
      cum += probs[size_t(i)];
      remove[size_t(i)] = float(cum) <= threshold;
    }
    for (int64_t i = std::max<int64_t>(0, vocab - min_keep_); i < vocab; ++i) remove[size_t(i)] = 0;
    for (int64_t i = 0; i < vocab; ++i)
      if (remove[size_t(i)]) s[idx[size_t(i)]] = filter_;
  }
}

MinPLogitsWarper::MinPLogitsWarper(double min_p, float filter_value, int64_t min_tokens_to_keep)
    : min_p_(min_p), filter_(filter_value), min_keep_(min_tokens_to_keep) {
  if (!(min_p >= 0 && min_p <= 1.0))
    throw ValueError("MinPLogitsWarper: `min_p` has to be a float in the [0, 1] interval, but is " +
                     std::to_string(min_p));
  check_min_keep(min_tokens_to_keep, "MinPLogitsWarper");
}

void MinPLogitsWarper::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  std::vector<float> probs(static_cast<size_t>(vocab));
  for (size_t r = 0; r < rows.size(); ++r) {
    float* s = scores + int64_t(r) * vocab;
    softmax_row(s, probs.data(), vocab);
    const float top = *std::max_element(probs.begin(), probs.end());
    const float scaled = float(min_p_) * top;
    std::vector<int64_t> idx = argsort(s, vocab, /*descending=*/true);
    std::vector<char> remove(static_cast<size_t>(vocab));
    for (int64_t v = 0; v < vocab; ++v) remove[size_t(v)] = probs[size_t(v)] < scaled;
    for (int64_t i = 0; i < std::min(min_keep_, vocab); ++i) remove[size_t(idx[size_t(i)])] = 0;
    for (int64_t v = 0; v < vocab; ++v)
      if (remove[size_t(v)]) s[v] = filter_;
  }
}

TypicalLogitsWarper::TypicalLogitsWarper(double mass, float filter_value, int64_t min_tokens_to_keep)
    : mass_(mass), filter_(filter_value), min_keep_(min_tokens_to_keep) {
  if (!(mass > 0 && mass < 1))
    throw ValueError("TypicalLogitsWarper: `typical_p` has to be a float > 0 and < 1, but is " + std::to_string(mass));
  check_min_keep(min_tokens_to_keep, "TypicalLogitsWarper");
}

void TypicalLogitsWarper::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  std::vector<float> logp(static_cast<size_t>(vocab)), shifted(static_cast<size_t>(vocab)), sorted_logits(static_cast<size_t>(vocab)),
      probs(static_cast<size_t>(vocab));
  const float mass = float(mass_);
  for (size_t r = 0; r < rows.size(); ++r) {
    float* s = scores + int64_t(r) * vocab;
    generation_detail::log_softmax_row(s, logp.data(), vocab);
    float ent = 0;  // nansum: -inf * 0 terms are NaN and skipped
    for (int64_t v = 0; v < vocab; ++v) {
      const float t = logp[size_t(v)] * std::exp(logp[size_t(v)]);
      if (!std::isnan(t)) ent += t;
    }
    ent = -ent;
    for (int64_t v = 0; v < vocab; ++v) shifted[size_t(v)] = std::fabs(-logp[size_t(v)] - ent);
    std::vector<int64_t> idx = argsort(shifted.data(), vocab, /*descending=*/false);
    for (int64_t i = 0; i < vocab; ++i) sorted_logits[size_t(i)] = s[idx[size_t(i)]];
    softmax_row(sorted_logits.data(), probs.data(), vocab);
    double cum = 0;
    int64_t last_ind = 0;
    for (int64_t i = 0; i < vocab; ++i) {
      cum += probs[size_t(i)];
      if (float(cum) < mass) ++last_ind;
    }
    last_ind = std::min(last_ind, vocab - 1);
    const float limit = shifted[size_t(idx[size_t(last_ind)])];
    std::vector<char> remove(static_cast<size_t>(vocab));
    for (int64_t i = 0; i < vocab; ++i) remove[size_t(i)] = shifted[size_t(idx[size_t(i)])] > limit;
    for (int64_t i = 0; i < std::min(min_keep_, vocab); ++i) remove[size_t(i)] = 0;
    for (int64_t i = 0; i < vocab; ++i)
      if (remove[size_t(i)]) s[idx[size_t(i)]] = filter_;
  }
}

EpsilonLogitsWarper::EpsilonLogitsWarper(double epsilon, float filter_value, int64_t min_tokens_to_keep)
    : epsilon_(float(epsilon)), filter_(filter_value), min_keep_(min_tokens_to_keep) {
  if (epsilon <= 0 || epsilon >= 1)
    throw ValueError("EpsilonLogitsWarper: `epsilon_cutoff` has to be a float > 0 and < 1, but is " +
                     std::to_string(epsilon));
  check_min_keep(min_tokens_to_keep, "EpsilonLogitsWarper");
}

void EpsilonLogitsWarper::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  std::vector<float> probs(static_cast<size_t>(vocab));
  for (size_t r = 0; r < rows.size(); ++r) {
    float* s = scores + int64_t(r) * vocab;
    softmax_row(s, probs.data(), vocab);
    const float kth = kth_largest(s, vocab, min_keep_);
    for (int64_t v = 0; v < vocab; ++v)
      if (probs[size_t(v)] < epsilon_ && s[v] < kth) s[v] = filter_;
  }
}

EtaLogitsWarper::EtaLogitsWarper(double epsilon, float filter_value, int64_t min_tokens_to_keep)
    : epsilon_(float(epsilon)), filter_(filter_value), min_keep_(min_tokens_to_keep) {
  if (epsilon <= 0 || epsilon >= 1)
    throw ValueError("EtaLogitsWarper: `eta_cutoff` has to be a float > 0 and < 1, but is " + std::to_string(epsilon));
  check_min_keep(min_tokens_to_keep, "EtaLogitsWarper");
}

void EtaLogitsWarper::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  std::vector<float> probs(static_cast<size_t>(vocab)), logp(static_cast<size_t>(vocab));
  const float lowest = std::numeric_limits<float>::lowest();
  for (size_t r = 0; r < rows.size(); ++r) {
    float* s = scores + int64_t(r) * vocab;
    softmax_row(s, probs.data(), vocab);
    // Categorical(logits=s).entropy(): normalised logits clamped to finfo.min, times probs
    generation_detail::log_softmax_row(s, logp.data(), vocab);
    float ent = 0;
    for (int64_t v = 0; v < vocab; ++v) ent += std::max(logp[size_t(v)], lowest) * probs[size_t(v)];
    ent = -ent;
    const float eta = std::min(epsilon_, std::sqrt(epsilon_) * std::exp(-ent));
    const float kth = kth_largest(s, vocab, min_keep_);
    for (int64_t v = 0; v < vocab; ++v)
      if (probs[size_t(v)] < eta && s[v] < kth) s[v] = filter_;
  }
}

}  // namespace transformers

namespace transformers {

void LogitNormalization::process(const TokenRows& rows, float* scores, int64_t vocab) const {
  std::vector<float> tmp(static_cast<size_t>(vocab));
  for (size_t r = 0; r < rows.size(); ++r) {
    float* s = scores + int64_t(r) * vocab;
    generation_detail::log_softmax_row(s, tmp.data(), vocab);
    std::copy(tmp.begin(), tmp.end(), s);
  }
}

}  // namespace transformers
