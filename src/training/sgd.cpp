// torch.optim.SGD's single-tensor algorithm (the one torch runs for CPU tensors), float32
// arithmetic for float32 parameters. torch's `a.add(b, alpha=s)` runs as a fused multiply-add in
// its vectorised CPU kernel, so each such step is one std::fma here.
#include <cmath>
#include <string>
#include <utility>

#include "transformers/core/autograd.hpp"
#include "transformers/training/optimization.hpp"

namespace transformers::training {

namespace {
// One SGD update of n contiguous elements; buf is null for the parameter's first step, where
// the buffer starts as a copy of the (decayed) gradient and `fresh` receives it.
template <typename T>
void sgd_update(T* p, const T* g0, T* buf, bool first, int64_t n, double lr, double wd, const SGDOptions& o) {
  const T alpha_wd = T(wd), mom = T(o.momentum), keep = T(1.0 - o.dampening), neg_lr = T(-lr);
  for (int64_t i = 0; i < n; ++i) {
    T g = o.maximize ? -g0[i] : g0[i];
    if (wd != 0) g = std::fma(p[i], alpha_wd, g);  // grad.add(param, alpha=weight_decay)
    if (o.momentum != 0) {
      buf[i] = first ? g : std::fma(g, keep, buf[i] * mom);  // buf.mul_(momentum).add_(grad, alpha=1 - dampening)
      g = o.nesterov ? std::fma(buf[i], mom, g) : buf[i];      // grad.add(buf, alpha=momentum) or buf
    }
    p[i] = std::fma(g, neg_lr, p[i]);  // param.add_(grad, alpha=-lr)
  }
}
}  // namespace

SGD::SGD(std::vector<Tensor> params, const SGDOptions& o) : SGD(std::vector<ParamGroup>{{std::move(params)}}, o) {}

SGD::SGD(std::vector<ParamGroup> groups, const SGDOptions& o)
    : Optimizer("SGD", std::move(groups), o.lr, o.weight_decay), options_(o) {
  if (!(o.momentum >= 0)) throw ValueError("SGD: Invalid momentum value: " + std::to_string(o.momentum));
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
    throw ValueError("SGD: Nesterov momentum requires a momentum and zero dampening (momentum " +
                     std::to_string(o.momentum) + ", dampening " + std::to_string(o.dampening) + ")");
  momentum_buffer_.resize(params().size());
}

void SGD::step() {
  for_each_gradient([&](size_t i, Group& group, Tensor& p, const Tensor& g) {
    Tensor& buf = momentum_buffer_[i];
    const bool first = !buf.defined();
    if (options_.momentum != 0 && first) buf = autograd::zeros_on(p.device(), p.sizes(), p.dtype());
    void* data = p.mutable_data_ptr();  // refuses a read-only mapping (see trainable_parameters)
    if (p.dtype() == DType::Float32)
      sgd_update(static_cast<float*>(data), g.data<float>(), buf.defined() ? buf.data<float>() : nullptr, first,
                 p.numel(), group.lr, group.weight_decay, options_);
    else
      sgd_update(static_cast<double*>(data), g.data<double>(), buf.defined() ? buf.data<double>() : nullptr, first,
                 p.numel(), group.lr, group.weight_decay, options_);
  });
}

}  // namespace transformers::training
