// resize_token_embeddings and the embedding accessors (4.51 semantics, spec hf-modeling.md §6.1/6.3).
// The embedding module object is kept and only its weight tensor replaced, as Python replaces
// `.data`; an untied Linear head gets new weight/bias tensors in place of Python's new nn.Linear
// (same names and shapes, so state_dict and saving see the same thing).
#include <cmath>
#include <vector>

#include "transformers/core/checked.hpp"
#include "transformers/core/error.hpp"
#include "transformers/modeling/resize.hpp"
#include "transformers/ops/random.hpp"

namespace transformers {

namespace {

// Lower Cholesky factor of a symmetric d x d matrix; false when a pivot is not positive (what
// torch.distributions.constraints.positive_definite rejects).
bool cholesky(std::vector<double>& a, int64_t d) {
  for (int64_t j = 0; j < d; ++j) {
    double s = a[size_t(j * d + j)];
    for (int64_t k = 0; k < j; ++k) s -= a[size_t(j * d + k)] * a[size_t(j * d + k)];
    if (!(s > 0.0) || !std::isfinite(s)) return false;
    const double ljj = std::sqrt(s);
    a[size_t(j * d + j)] = ljj;
    for (int64_t i = j + 1; i < d; ++i) {
      double t = a[size_t(i * d + j)];
      for (int64_t k = 0; k < j; ++k) t -= a[size_t(i * d + k)] * a[size_t(j * d + k)];
      a[size_t(i * d + j)] = t / ljj;
    }
    for (int64_t k = j + 1; k < d; ++k) a[size_t(j * d + k)] = 0.0;
  }
  return true;
}

// `init` (or zeros) [rows, cols] with its first min(rows, old rows) rows replaced by old's.
Tensor with_rows(const Tensor& old, const Tensor& init, int64_t rows) {
  Tensor out = init.defined() ? init : Tensor::zeros({rows, old.size(1)}, old.dtype());
  const int64_t keep = std::min(rows, old.size(0));
  if (keep > 0) out.narrow(0, 0, keep).copy_(old.narrow(0, 0, keep));
  return out;
}

void check_rows(int64_t n) {
  if (n < 1) throw ValueError("resize_token_embeddings: new_num_tokens must be at least 1, found " + std::to_string(n));
}

// _get_resized_embeddings on the module itself.
void resize_embedding(PreTrainedModel& model, nn::Embedding& emb, int64_t n, bool mean_resizing) {
  const int64_t old_n = emb.num_embeddings(), dim = emb.embedding_dim();
  if (n == old_n) return;
  const DType dt = emb.weight.dtype();
  Tensor init;
  if (n > old_n && !mean_resizing) {
    nn::Embedding fresh(n, dim, std::nullopt, dt);  // Python's new nn.Embedding has no padding_idx
    model.init_weights(fresh);
    init = fresh.weight;
  } else if (n > old_n) {
    init = Tensor::zeros({n, dim}, dt);
    init.narrow(0, old_n, n - old_n).copy_(mean_resized_rows(emb.weight, n - old_n, ops::default_generator()));
  }
  const bool rg = emb.weight.requires_grad();
  emb.weight = with_rows(emb.weight, init, n);
  emb.weight.set_requires_grad(rg);
  if (emb.padding_idx && n - 1 < *emb.padding_idx) emb.padding_idx.reset();
}

// _get_resized_lm_head for a Linear head [vocab, dim] (+ bias [vocab]).
void resize_linear_head(PreTrainedModel& model, nn::Linear& head, int64_t n, bool mean_resizing) {
  const int64_t old_n = head.out_features(), dim = head.in_features();
  if (n == old_n) return;
  const DType dt = head.weight.dtype();
  const bool has_bias = head.bias.defined();
  Tensor w_init, b_init;
  if (n > old_n && !mean_resizing) {
    nn::Linear fresh(dim, n, has_bias, dt);
    model.init_weights(fresh);
    w_init = fresh.weight;
    b_init = fresh.bias;
  } else if (n > old_n) {
    const int64_t added = n - old_n;
    w_init = Tensor::zeros({n, dim}, dt);
    w_init.narrow(0, old_n, added).copy_(mean_resized_rows(head.weight, added, ops::default_generator()));
    if (has_bias) {
      // new entries ~ N(mean(old bias), 1e-9 * std(old bias)) with the unbiased std, in float32
      const std::vector<double> b = head.bias.to_vector<double>();
      double mean = 0, var = 0;
      for (double v : b) mean += v;
      mean /= double(b.size());
      for (double v : b) var += (v - mean) * (v - mean);
      const double sd = b.size() > 1 ? std::sqrt(var / double(b.size() - 1)) : NAN;
      Tensor extra = Tensor::empty({added}, DType::Float32);
      ops::normal_(extra, float(mean), float(1e-9 * float(sd)), ops::default_generator());
      b_init = Tensor::zeros({n}, head.bias.dtype());
      b_init.narrow(0, old_n, added).copy_(extra);
    }
  }
  const bool rg = head.weight.requires_grad();
  head.weight = with_rows(head.weight, w_init, n);
  head.weight.set_requires_grad(rg);
  if (has_bias) {
    const bool brg = head.bias.requires_grad();
    Tensor b2 = b_init.defined() ? b_init : Tensor::zeros({n}, head.bias.dtype());
    const int64_t keep = std::min(n, old_n);
    b2.narrow(0, 0, keep).copy_(head.bias.narrow(0, 0, keep));
    head.bias = b2;
    head.bias.set_requires_grad(brg);
  }
}

}  // namespace

Tensor mean_resized_rows(const Tensor& old, int64_t added, ops::Generator& gen) {
  if (old.dim() != 2) throw ShapeError("mean resizing: expected a 2-D weight, found " + old.to_string());
  const int64_t rows = old.size(0), d = old.size(1);
  const std::vector<float> w = old.contiguous().to(DType::Float32).to_vector<float>();
  std::vector<double> mu(static_cast<size_t>(d), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < d; ++j) mu[size_t(j)] += w[size_t(r * d + j)];
  for (auto& m : mu) m = double(float(m / double(rows)));  // torch.mean in float32
  // population covariance of the centred rows, scaled by 1e-9
  std::vector<double> cov(size_t(d * d), 0.0);
  std::vector<double> c(static_cast<size_t>(d));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < d; ++j) c[size_t(j)] = double(w[size_t(r * d + j)]) - mu[size_t(j)];
    for (int64_t i = 0; i < d; ++i)
      for (int64_t j = 0; j <= i; ++j) cov[size_t(i * d + j)] += c[size_t(i)] * c[size_t(j)];
  }
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      const double v = 1e-9 * double(float(cov[size_t(i * d + j)] / double(rows)));
      cov[size_t(i * d + j)] = v;
      cov[size_t(j * d + i)] = v;
    }
  Tensor out = Tensor::empty({added, d}, DType::Float32);
  float* o = out.data<float>();
  const bool pd = cholesky(cov, d);
  std::vector<double> z(static_cast<size_t>(d));
  for (int64_t r = 0; r < added; ++r) {
    if (pd)
      for (auto& v : z) v = gen.normal();
    for (int64_t i = 0; i < d; ++i) {
      double x = mu[size_t(i)];
      if (pd)
        for (int64_t k = 0; k <= i; ++k) x += cov[size_t(i * d + k)] * z[size_t(k)];
      o[r * d + i] = float(x);
    }
  }
  return out;
}

nn::Embedding& input_embedding_module(PreTrainedModel& model) {
  nn::Module* m = model.get_input_embeddings();
  if (!m) throw UnsupportedError(model.name() + " has no input embeddings (get_input_embeddings returned None)");
  auto* e = dynamic_cast<nn::Embedding*>(m);
  if (!e)
    throw UnsupportedError("Old embeddings are of type " + m->name() + ", which is not an instance of Embedding (model " +
                    model.name() + ")");
  return *e;
}

nn::Linear* output_linear_module(PreTrainedModel& model) {
  nn::Module* m = model.get_output_embeddings();
  if (!m) return nullptr;
  auto* l = dynamic_cast<nn::Linear*>(m);
  if (!l)
    throw UnsupportedError("Old language model head is of type " + m->name() + ", which is not an instance of Linear (model " +
                    model.name() + ")");
  return l;
}

void set_input_embeddings(PreTrainedModel& model, const nn::Embedding& value) {
  nn::Embedding& e = input_embedding_module(model);
  e.weight = value.weight;
  e.padding_idx = value.padding_idx;
}

void set_output_embeddings(PreTrainedModel& model, const nn::Linear& value) {
  nn::Linear* l = output_linear_module(model);
  if (!l) throw UnsupportedError(model.name() + " has no output embeddings to set");
  l->weight = value.weight;
  l->bias = value.bias;
}

nn::Embedding& resize_token_embeddings(PreTrainedModel& model, const ResizeTokenEmbeddingsOptions& opts) {
  nn::Embedding& emb = input_embedding_module(model);
  std::optional<int64_t> n = opts.new_num_tokens;
  if (opts.pad_to_multiple_of) {
    const int64_t m = *opts.pad_to_multiple_of;
    if (m <= 0)
      throw ValueError("resize_token_embeddings: pad_to_multiple_of must be a positive integer, found " + std::to_string(m));
    const int64_t base = n.value_or(emb.num_embeddings());
    check_rows(base);
    // ceil(base / m) * m without wrapping: both numbers are the caller's (CLI flags)
    n = checked_mul((base - 1) / m + 1, m, "resize_token_embeddings: new_num_tokens rounded up to pad_to_multiple_of");
  }
  if (!n) return emb;  // Python returns the embedding untouched (no config update, no re-tie)
  check_rows(*n);
  // The new [n, dim] weight's byte size, refused before anything is allocated when it cannot exist.
  checked_mul(checked_mul(*n, emb.embedding_dim(), "resize_token_embeddings: new_num_tokens * embedding_dim"),
              int64_t(dtype_size(emb.weight.dtype())), "resize_token_embeddings: new_num_tokens * embedding_dim bytes");
  if (opts.seed) ops::default_generator().manual_seed(*opts.seed);
  resize_embedding(model, emb, *n, opts.mean_resizing);
  if (!model.config().tie_word_embeddings())
    if (nn::Linear* head = output_linear_module(model)) resize_linear_head(model, *head, *n, opts.mean_resizing);
  model.config().set("vocab_size", *n);
  model.tie_weights();
  return emb;
}

}  // namespace transformers
