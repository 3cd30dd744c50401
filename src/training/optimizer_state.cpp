// The optimizers' state for a checkpoint (Trainer's optimizer.pt / scheduler.pt content): torch's
// state_dict names, the parameter's index over all groups, tensors copied out and back in.
#include <string>
#include <utility>

#include "transformers/core/autograd.hpp"
#include "transformers/core/error.hpp"
#include "transformers/training/optimization.hpp"

namespace transformers::training {

namespace {
std::string key(size_t i, const char* name) { return "state." + std::to_string(i) + "." + name; }

// state[k] as a fresh contiguous tensor of `like`'s shape and dtype (ValueError naming source/k).
Tensor take(const std::map<std::string, Tensor>& state, const std::string& k, const Tensor& like,
            const std::string& source) {
  const auto it = state.find(k);
  if (it == state.end()) throw ValueError(source + ": optimizer state lacks '" + k + "'");
  if (it->second.sizes() != like.sizes())
    throw ValueError(source + ": optimizer state '" + k + "' has shape " + shape_str(it->second.sizes()) +
                     ", expected the parameter's " + shape_str(like.sizes()));
  autograd::NoGradGuard no_grad;
  return it->second.to(like.dtype()).contiguous().clone();
}

int64_t take_step(const std::map<std::string, Tensor>& state, const std::string& k, const std::string& source) {
  const Tensor s = take(state, k, Tensor::scalar(0), source);
  const double v = s.item();
  if (!(v >= 1) || v != double(int64_t(v)))
    throw ValueError(source + ": optimizer state '" + k + "' must be a positive whole step count, found " +
                     std::to_string(v));
  return int64_t(v);
}
}  // namespace

std::vector<std::pair<std::string, Tensor>> AdamW::state_tensors() const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (size_t i = 0; i < state_.size(); ++i) {
    const State& s = state_[i];
    if (s.step == 0) continue;  // torch has no state for a parameter that never had a gradient
    out.emplace_back(key(i, "step"), Tensor::scalar(double(s.step)));
    out.emplace_back(key(i, "exp_avg"), s.exp_avg.clone());
    out.emplace_back(key(i, "exp_avg_sq"), s.exp_avg_sq.clone());
  }
  return out;
}

void AdamW::load_state_tensors(const std::map<std::string, Tensor>& state, const std::string& source) {
  const std::vector<Tensor> ps = params();
  size_t loaded = 0;
  for (size_t i = 0; i < ps.size(); ++i) {
    if (!state.count(key(i, "step"))) {
      state_[i] = State{};
      continue;
    }
    state_[i] = State{.step = take_step(state, key(i, "step"), source),
                      .exp_avg = take(state, key(i, "exp_avg"), ps[i], source),
                      .exp_avg_sq = take(state, key(i, "exp_avg_sq"), ps[i], source)};
    loaded += 3;
  }
  if (loaded != state.size())
    throw ValueError(source + ": optimizer state has " + std::to_string(state.size()) + " tensors, " +
                     std::to_string(loaded) + " of them for this AdamW's " + std::to_string(ps.size()) +
                     " parameters (a checkpoint of another model or optimizer?)");
}

std::vector<std::pair<std::string, Tensor>> SGD::state_tensors() const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (size_t i = 0; i < momentum_buffer_.size(); ++i)
    if (momentum_buffer_[i].defined()) out.emplace_back(key(i, "momentum_buffer"), momentum_buffer_[i].clone());
  return out;
}

void SGD::load_state_tensors(const std::map<std::string, Tensor>& state, const std::string& source) {
  const std::vector<Tensor> ps = params();
  size_t loaded = 0;
  for (size_t i = 0; i < ps.size(); ++i) {
    const bool has = state.count(key(i, "momentum_buffer")) > 0;
    momentum_buffer_[i] = has ? take(state, key(i, "momentum_buffer"), ps[i], source) : Tensor();
    loaded += has;
  }
  if (loaded != state.size())
    throw ValueError(source + ": optimizer state has " + std::to_string(state.size()) + " tensors, " +
                     std::to_string(loaded) + " of them for this SGD's " + std::to_string(ps.size()) + " parameters");
}

void LambdaLR::load_state(int64_t last_epoch, std::vector<double> base_lrs, std::vector<double> last_lrs,
                          const std::string& source) {
  auto& groups = optimizer_->param_groups();
  if (base_lrs.size() != groups.size() || last_lrs.size() != groups.size())
    throw ValueError(source + ": scheduler state has " + std::to_string(base_lrs.size()) + " base_lrs and " +
                     std::to_string(last_lrs.size()) + " _last_lr for an optimizer of " +
                     std::to_string(groups.size()) + " parameter groups");
  if (last_epoch < 0) throw ValueError(source + ": scheduler last_epoch must be >= 0, found " + std::to_string(last_epoch));
  last_epoch_ = last_epoch;
  base_lrs_ = std::move(base_lrs);
  last_lrs_ = std::move(last_lrs);
  for (size_t i = 0; i < groups.size(); ++i) groups[i].lr = last_lrs_[i];
}

}  // namespace transformers::training
