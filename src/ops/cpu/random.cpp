// Seedable random numbers: uniform from 53 bits of mt19937_64, normals by Box-Muller, multinomial
// by inverse CDF (with replacement) or sequential draws without replacement.
#include <algorithm>
#include <cmath>

#include "ops/cpu/common.hpp"
#include "ops/cpu/kernels.hpp"

namespace transformers::ops::cpu {

Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator& gen) {
  detail::check_defined(probs, "multinomial", "probs");
  if (probs.dim() != 1 && probs.dim() != 2)
    throw ShapeError("multinomial: probs must be 1-D or 2-D, found shape " + shape_str(probs.sizes()));
  if (!probs.is_floating_point())
    throw ValueError("multinomial: probs must be a floating point tensor, found " + std::string(dtype_name(probs.dtype())));
  if (num_samples <= 0) throw ValueError("multinomial: num_samples must be positive, found " + std::to_string(num_samples));
  const Tensor p2 = (probs.dim() == 1 ? probs.unsqueeze(0) : probs).to(DType::Float64).contiguous();
  const int64_t B = p2.size(0), N = p2.size(1);
  if (!replacement && num_samples > N)
    throw ValueError("multinomial: cannot sample n_sample=" + std::to_string(num_samples) + " > prob_dist.size(-1)=" +
                     std::to_string(N) + " samples without replacement");
  Tensor out = Tensor::empty({B, num_samples}, DType::Int64);
  const double* pp = p2.data<double>();
  int64_t* po = out.data<int64_t>();
  std::vector<double> w(static_cast<size_t>(N)), cdf(static_cast<size_t>(N));
  for (int64_t b = 0; b < B; ++b) {
    int64_t nonzero = 0;
    for (int64_t j = 0; j < N; ++j) {
      const double v = pp[b * N + j];
      if (!std::isfinite(v) || v < 0)
        throw ValueError("multinomial: probability tensor contains either inf, nan or element < 0 (row " +
                         std::to_string(b) + ", index " + std::to_string(j) + ")");
      w[size_t(j)] = v;
      nonzero += v > 0;
    }
    if (nonzero == 0) throw ValueError("multinomial: invalid distribution (sum of probabilities <= 0) in row " + std::to_string(b));
    if (!replacement && num_samples > nonzero)
      throw ValueError("multinomial: row " + std::to_string(b) + " has " + std::to_string(nonzero) +
                       " nonzero weights, fewer than num_samples=" + std::to_string(num_samples) + " without replacement");
    for (int64_t s = 0; s < num_samples; ++s) {
      double total = 0;
      for (int64_t j = 0; j < N; ++j) cdf[size_t(j)] = (total += w[size_t(j)]);
      const double u = gen.uniform() * total;
      int64_t pick = int64_t(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
      pick = std::min(pick, N - 1);
      while (w[size_t(pick)] == 0 && pick > 0) --pick;  // u landed exactly on a boundary
      po[b * num_samples + s] = pick;
      if (!replacement) w[size_t(pick)] = 0;
    }
  }
  return probs.dim() == 1 ? out.reshape({num_samples}) : out;
}

Tensor& normal_(Tensor& t, double mean, double std, Generator& gen) {
  if (std < 0) throw ValueError("normal_: std must be non-negative, found " + std::to_string(std));
  Tensor d = Tensor::empty(t.sizes(), DType::Float64);
  double* p = d.data<double>();
  for (int64_t i = 0; i < d.numel(); ++i) p[i] = mean + std * gen.normal();
  t.copy_(d);
  return t;
}

Tensor& uniform_(Tensor& t, double from, double to, Generator& gen) {
  if (from > to) throw ValueError("uniform_: expects from <= to, found from=" + std::to_string(from) + " to=" + std::to_string(to));
  Tensor d = Tensor::empty(t.sizes(), DType::Float64);
  double* p = d.data<double>();
  for (int64_t i = 0; i < d.numel(); ++i) p[i] = from + (to - from) * gen.uniform();
  t.copy_(d);
  return t;
}

}  // namespace transformers::ops::cpu
