// The optimizer base (parameter groups), AdamW, LambdaLR and clip_grad_norm_ with torch's arithmetic.
#include "transformers/training/optimization.hpp"

#include <cmath>
#include <set>
#include <string>
#include <utility>

#include "transformers/core/autograd.hpp"

namespace transformers::training {

namespace {
// torch's lerp: self + w (end - self) for |w| < 0.5, else end - (end - self)(1 - w).
template <typename T>
T lerp(T self, T end, T w) {
  return std::abs(w) < T(0.5) ? self + w * (end - self) : end - (end - self) * (T(1) - w);
}

// One AdamW update of n contiguous elements in T (float for float32 parameters, as torch's float
// kernels compute; the scalars arrive as torch passes them: Python doubles rounded to T).
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
  for (int64_t i = 0; i < n; ++i) {
    p[i] = p[i] * decay;                       // param.mul_(1 - lr * weight_decay)
    m[i] = lerp(m[i], g[i], w1);               // exp_avg.lerp_(grad, 1 - beta1)
    v[i] = v[i] * b2;                          // exp_avg_sq.mul_(beta2)
    v[i] = v[i] + w2 * g[i] * g[i];            //   .addcmul_(grad, grad, value=1 - beta2)
    const T denom = std::sqrt(v[i]) / bc2_sqrt + e;  // (exp_avg_sq.sqrt() / bc2_sqrt).add_(eps)
    p[i] = p[i] + (-step_size) * m[i] / denom;       // param.addcdiv_(exp_avg, denom, value=-step_size)
  }
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
    double own = 0;  // each gradient's norm first, then the norm of those norms, as torch stacks them
    for (double x : g.to_vector<double>()) own += x * x;
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
      for (int64_t i = 0, n = g.numel(); i < n; ++i) d[i] *= c;
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
