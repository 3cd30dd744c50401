#pragma once
// Optimisation with torch's semantics: torch.optim.AdamW (the single-tensor algorithm, float32
// arithmetic in torch's operation order for float32 parameters), torch.nn.utils.clip_grad_norm_,
// torch.optim.lr_scheduler.LambdaLR and transformers' get_linear_schedule_with_warmup.
#include <cstdint>
#include <functional>
#include <vector>

#include "transformers/core/tensor.hpp"
#include "transformers/nn/module.hpp"

namespace transformers::training {

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
};

// torch.optim.AdamW over one parameter group. The parameters are handles sharing storage and
// autograd state with the model's slots: step() reads their grad() and updates them in place.
class AdamW {
 public:
  explicit AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
  // One update of every parameter that has a gradient (the others are skipped, as torch does).
  void step();
  // Python's zero_grad(set_to_none=True).
  void zero_grad();
  double lr() const { return options_.lr; }
  void set_lr(double lr) { options_.lr = lr; }
  const std::vector<Tensor>& params() const { return params_; }
  int64_t state_step(size_t i) const { return state_[i].step; }

 private:
  struct State {
    int64_t step = 0;
    Tensor exp_avg, exp_avg_sq;
  };
  std::vector<Tensor> params_;
  std::vector<State> state_;
  AdamWOptions options_;
};

// torch.optim.lr_scheduler.LambdaLR: lr = base_lr * lr_lambda(step count); constructing it sets
// the lr for step 0, as torch's initial step does.
class LambdaLR {
 public:
  LambdaLR(AdamW& optimizer, std::function<double(int64_t)> lr_lambda);
  void step();
  double get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }

 private:
  AdamW* optimizer_;
  std::function<double(int64_t)> lambda_;
  double base_lr_;
  int64_t last_epoch_ = 0;
  double last_lr_ = 0;
};

// transformers.get_linear_schedule_with_warmup: 0 -> lr linearly over num_warmup_steps, then
// linearly down to 0 at num_training_steps.
LambdaLR get_linear_schedule_with_warmup(AdamW& optimizer, int64_t num_warmup_steps, int64_t num_training_steps);

// torch.nn.utils.clip_grad_norm_(params, max_norm) with the 2-norm: returns the total norm of all
// gradients (before clipping) and scales every gradient by min(1, max_norm / (norm + 1e-6)).
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm);

// The model's distinct parameters, each made writable first: a parameter viewing a read-only
// checkpoint mapping is replaced by a copy in every slot that shares it (ties kept), so an
// optimiser can update it in place. Python's from_pretrained gives writable parameters.
std::vector<Tensor> trainable_parameters(nn::Module& model);

}  // namespace transformers::training
