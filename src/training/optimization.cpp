// The optimizer base (parameter groups), AdamW, LambdaLR and clip_grad_norm_ with torch's arithmetic.
#include "transformers/training/optimization.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>

#include "transformers/core/autograd.hpp"
#include "transformers/core/parallel.hpp"

namespace transformers::training {

namespace {
// One AdamW update of n contiguous elements in T (float for float32 parameters, as torch's float
// kernels compute; the scalars arrive as torch passes them: Python doubles rounded to T). Each
// element's arithmetic is independent of the others, so the loop is split over the pool and the
// lerp's branch (on the constant weight) is taken once, outside it, to let the compiler vectorise.
template <typename T, bool kSmallWeight>
void adamw_range(T* p, const T* g, T* m, T* v, int64_t i0, int64_t i1, T decay, T w1, T b2, T w2, T step_size,
                 T bc2_sqrt, T e) {
  for (int64_t i = i0; i < i1; ++i) {
    p[i] = p[i] * decay;  // param.mul_(1 - lr * weight_decay)
    // exp_avg.lerp_(grad, 1 - beta1), torch's lerp: self + w (end - self) for |w| < 0.5, else
    // end - (end - self)(1 - w)
    m[i] = kSmallWeight ? m[i] + w1 * (g[i] - m[i]) : g[i] - (g[i] - m[i]) * (T(1) - w1);
    v[i] = v[i] * b2;                                // exp_avg_sq.mul_(beta2)
    v[i] = v[i] + w2 * g[i] * g[i];                  //   .addcmul_(grad, grad, value=1 - beta2)
    const T denom = std::sqrt(v[i]) / bc2_sqrt + e;  // (exp_avg_sq.sqrt() / bc2_sqrt).add_(eps)
    p[i] = p[i] + (-step_size) * m[i] / denom;       // param.addcdiv_(exp_avg, denom, value=-step_size)
  }
}

template <typename T>
void adamw_update(T* p, const T* g, T* m, T* v, int64_t n, double lr, double wd, double beta1, double beta2,
                  double eps, int64_t step) {
  const T decay = T(1.0 - lr * wd);
  const T w1 = T(1.0 - beta1), b2 = T(beta2), w2 = T(1.0 - beta2);
  const double bias_correction1 = 1.0 - std::pow(beta1, double(step));
  const double bias_correction2 = 1.0 - std::pow(beta2, double(step));
  const T step_size = T(lr / bias_correction1);
  const T bc2_sqrt = T(std::sqrt(bias_correction2));
  const T e = T(eps);
  const bool small = std::abs(w1) < T(0.5);
  parallel_for(0, n, 1 << 15, [&](int64_t i0, int64_t i1) {
    if (small) adamw_range<T, true>(p, g, m, v, i0, i1, decay, w1, b2, w2, step_size, bc2_sqrt, e);
    else adamw_range<T, false>(p, g, m, v, i0, i1, decay, w1, b2, w2, step_size, bc2_sqrt, e);
  });
}

// Sum of squares of a gradient in float64, over fixed blocks summed in block order, so the result
// does not depend on the thread count.
template <typename T>
double sum_of_squares(const T* x, int64_t n) {
  constexpr int64_t kBlock = 1 << 16;
  const int64_t nb = (n + kBlock - 1) / kBlock;
  std::vector<double> part(size_t(nb), 0.0);
  parallel_for(0, nb, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // 8 lanes: a vectorisable loop
      const int64_t lo = b * kBlock, hi = std::min(n, lo + kBlock);
      int64_t i = lo;
      for (; i + 8 <= hi; i += 8)
        for (int l = 0; l < 8; ++l) acc[l] += double(x[i + l]) * double(x[i + l]);
      for (; i < hi; ++i) acc[0] += double(x[i]) * double(x[i]);
      part[size_t(b)] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    }
  });
  double s = 0;
  for (double v : part) s += v;
  return s;
}
}  // namespace

Optimizer::Optimizer(const char* name, std::vector<ParamGroup> groups, double lr, double weight_decay)
    : default_lr_(lr) {
  const std::string who = name;
  if (!(lr >= 0)) throw ValueError(who + ": Invalid learning rate: " + std::to_string(lr));
  if (!(weight_decay >= 0)) throw ValueError(who + ": Invalid weight_decay value: " + std::to_string(weight_decay));
  std::set<const void*> seen;
  size_t index = 0;
  for (ParamGroup& g : groups) {
    for (const Tensor& p : g.params) {
      if (!p.defined() || (p.dtype() != DType::Float32 && p.dtype() != DType::Float64))
        throw UnsupportedError(who + ": parameter " + std::to_string(index) + " must be a float32 or float64 tensor, found " +
                               (p.defined() ? p.to_string() : std::string("an undefined tensor")));
      if (!p.is_contiguous()) throw UnsupportedError(who + ": parameter " + std::to_string(index) + " is not contiguous");
      if (!seen.insert(p.data_ptr()).second)
        throw ValueError(who + ": some parameters appear in more than one parameter group (parameter " +
                         std::to_string(index) + ")");
      ++index;
    }
    const double glr = g.lr.value_or(lr), gwd = g.weight_decay.value_or(weight_decay);
    if (!(glr >= 0)) throw ValueError(who + ": Invalid learning rate: " + std::to_string(glr));
    if (!(gwd >= 0)) throw ValueError(who + ": Invalid weight_decay value: " + std::to_string(gwd));
    groups_.push_back({std::move(g.params), glr, gwd});
  }
  if (index == 0) throw ValueError(who + ": optimizer got an empty parameter list");
}

void Optimizer::for_each_gradient(const std::function<void(size_t, Group&, Tensor&, const Tensor&)>& update) {
  autograd::NoGradGuard no_grad;
  size_t i = 0;
  for (Group& group : groups_)
    for (Tensor& p : group.params) {
      const Tensor g = p.grad();
      if (g.defined()) update(i, group, p, g.to(p.dtype()).contiguous());
      ++i;
    }
}

void Optimizer::zero_grad() {
  for (Group& g : groups_)
    for (Tensor& p : g.params) p.set_grad(Tensor());
}

void Optimizer::set_lr(double lr) {
  for (Group& g : groups_) g.lr = lr;
}

std::vector<Tensor> Optimizer::params() const {
  std::vector<Tensor> out;
  for (const Group& g : groups_) out.insert(out.end(), g.params.begin(), g.params.end());
  return out;
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& o) : AdamW(std::vector<ParamGroup>{{std::move(params)}}, o) {}

AdamW::AdamW(std::vector<ParamGroup> groups, const AdamWOptions& o)
    : Optimizer("AdamW", std::move(groups), o.lr, o.weight_decay), options_(o) {
  if (!(o.eps >= 0)) throw ValueError("AdamW: Invalid epsilon value: " + std::to_string(o.eps));
  if (!(o.beta1 >= 0 && o.beta1 < 1)) throw ValueError("AdamW: Invalid beta parameter at index 0: " + std::to_string(o.beta1));
  if (!(o.beta2 >= 0 && o.beta2 < 1)) throw ValueError("AdamW: Invalid beta parameter at index 1: " + std::to_string(o.beta2));
  state_.resize(params().size());
}

void AdamW::step() {
  const AdamWOptions& o = options_;
  for_each_gradient([&](size_t i, Group& group, Tensor& p, const Tensor& g) {
    State& s = state_[i];
    if (s.step == 0) {
      s.exp_avg = autograd::zeros_on(p.device(), p.sizes(), p.dtype());
      s.exp_avg_sq = autograd::zeros_on(p.device(), p.sizes(), p.dtype());
    }
    ++s.step;
    void* data = p.mutable_data_ptr();  // refuses a read-only mapping (see trainable_parameters)
    if (p.dtype() == DType::Float32)
      adamw_update(static_cast<float*>(data), g.data<float>(), s.exp_avg.data<float>(), s.exp_avg_sq.data<float>(),
                   p.numel(), group.lr, group.weight_decay, o.beta1, o.beta2, o.eps, s.step);
    else
      adamw_update(static_cast<double*>(data), g.data<double>(), s.exp_avg.data<double>(), s.exp_avg_sq.data<double>(),
                   p.numel(), group.lr, group.weight_decay, o.beta1, o.beta2, o.eps, s.step);
  });
}

LambdaLR::LambdaLR(Optimizer& optimizer, std::function<double(int64_t)> lr_lambda)
    : optimizer_(&optimizer), lambda_(std::move(lr_lambda)) {
  for (const Optimizer::Group& g : optimizer.param_groups()) base_lrs_.push_back(g.lr);  // initial_lr
  apply();
}

void LambdaLR::step() {
  ++last_epoch_;
  apply();
}

void LambdaLR::apply() {
  auto& groups = optimizer_->param_groups();
  last_lrs_.clear();
  for (size_t i = 0; i < groups.size(); ++i) {
    groups[i].lr = base_lrs_[i] * lambda_(last_epoch_);
    last_lrs_.push_back(groups[i].lr);
  }
}

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm) {
  autograd::NoGradGuard no_grad;
  double sq = 0;
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    // each gradient's norm first, then the norm of those norms, as torch stacks them
    const Tensor gc = g.dtype() == DType::Float32 || g.dtype() == DType::Float64 ? g.contiguous() : g.to(DType::Float64).contiguous();
    double own = gc.dtype() == DType::Float32 ? sum_of_squares(gc.data<float>(), gc.numel())
                                              : sum_of_squares(gc.data<double>(), gc.numel());
    own = p.dtype() == DType::Float64 ? std::sqrt(own) : double(float(std::sqrt(own)));
    sq += own * own;
  }
  const double total = std::sqrt(sq);
  const double coef = std::min(1.0, max_norm / (total + 1e-6));
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    if (g.dtype() == DType::Float32 && g.is_contiguous()) {
      float* d = static_cast<float*>(g.mutable_data_ptr());
      const float c = float(coef);
      parallel_for(0, g.numel(), 1 << 16, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) d[i] *= c;
      });
    } else {
      Tensor scaled = g.to(DType::Float64);
      double* d = scaled.data<double>();
      for (int64_t i = 0, n = scaled.numel(); i < n; ++i) d[i] *= coef;
      g.copy_(scaled);
    }
  }
  return total;
}

std::vector<Tensor> trainable_parameters(nn::Module& model) {
  autograd::NoGradGuard no_grad;
  for (auto& [name, t] : model.named_parameters()) {
    Tensor* slot = model.find_parameter(name);
    if (slot && slot->defined() && slot->storage()->read_only()) model.replace_tensor(*slot, slot->clone());
  }
  std::vector<Tensor> out;
  for (auto& [name, t] : model.named_parameters())
    if (t.requires_grad()) out.push_back(t);
  return out;
}

}  // namespace transformers::training
