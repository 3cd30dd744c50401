#pragma once
// Optimisation with torch's semantics: torch.optim.AdamW and SGD (the single-tensor algorithms,
// float32 arithmetic in torch's operation order for float32 parameters) over parameter groups,
// torch.nn.utils.clip_grad_norm_, torch.optim.lr_scheduler.LambdaLR and transformers' schedules
// (optimization.py's get_*_schedule* and get_scheduler).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "transformers/core/tensor.hpp"
#include "transformers/nn/module.hpp"

namespace transformers::training {

// One of torch's param_groups: its parameters and the hyperparameters that may differ per group
// (unset: the optimizer's default, as torch fills a group dict from `defaults`).
struct ParamGroup {
  std::vector<Tensor> params = {};
  std::optional<double> lr = {};
  std::optional<double> weight_decay = {};
};

// torch.optim.Optimizer's shared part: parameter groups (each with a concrete lr and weight decay
// after construction) and zero_grad. The parameters are handles sharing storage and autograd
// state with the model's slots: step() reads their grad() and updates them in place.
class Optimizer {
 public:
  struct Group {
    std::vector<Tensor> params;
    double lr;
    double weight_decay;
  };
  virtual ~Optimizer() = default;
  // One update of every parameter that has a gradient (the others are skipped, as torch does).
  virtual void step() = 0;
  // Python's zero_grad(set_to_none=True).
  void zero_grad();
  std::vector<Group>& param_groups() { return groups_; }
  const std::vector<Group>& param_groups() const { return groups_; }
  // optimizer.defaults["lr"] (what the polynomial schedule reads).
  double default_lr() const { return default_lr_; }
  // The first group's lr; set_lr sets every group's (one group in the common case).
  double lr() const { return groups_.at(0).lr; }
  void set_lr(double lr);
  // Every parameter, group after group.
  std::vector<Tensor> params() const;
  // The per-parameter state under torch's state_dict names with the parameter's index over all
  // groups ("state.<i>.exp_avg", ...), for a checkpoint; parameters without state are absent.
  virtual std::vector<std::pair<std::string, Tensor>> state_tensors() const = 0;
  // Puts state_tensors() of an optimizer over the same parameters back (copies). A missing key or
  // a shape that does not match the parameter is a ValueError naming `source` and the key.
  virtual void load_state_tensors(const std::map<std::string, Tensor>& state, const std::string& source) = 0;

 protected:
  // Validates the groups (float32/float64, contiguous, no parameter twice) and fills defaults.
  Optimizer(const char* name, std::vector<ParamGroup> groups, double lr, double weight_decay);
  // Under no-grad, for every parameter that has a gradient: update(index over all groups, its
  // group, the parameter, its gradient in the parameter's dtype, contiguous).
  void for_each_gradient(const std::function<void(size_t, Group&, Tensor&, const Tensor&)>& update);
  std::vector<Group> groups_;
  double default_lr_;
};

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
};

// torch.optim.AdamW (the single-tensor algorithm torch runs on CPU).
class AdamW : public Optimizer {
 public:
  explicit AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
  AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options);
  void step() override;
  // state["step"] of the i-th parameter (group after group).
  int64_t state_step(size_t i) const { return state_.at(i).step; }
  // "state.<i>.step" (float32 scalar, as torch keeps it), "state.<i>.exp_avg", "state.<i>.exp_avg_sq".
  std::vector<std::pair<std::string, Tensor>> state_tensors() const override;
  void load_state_tensors(const std::map<std::string, Tensor>& state, const std::string& source) override;

 private:
  struct State {
    int64_t step = 0;
    Tensor exp_avg, exp_avg_sq;
  };
  std::vector<State> state_;
  AdamWOptions options_;
};

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool maximize = false;
};

// torch.optim.SGD (single-tensor algorithm): weight decay added to the gradient, a momentum buffer
// started as a copy of the first gradient, Nesterov's look-ahead, maximize.
class SGD : public Optimizer {
 public:
  explicit SGD(std::vector<Tensor> params, const SGDOptions& options = {});
  SGD(std::vector<ParamGroup> groups, const SGDOptions& options);
  void step() override;
  // "state.<i>.momentum_buffer" of the parameters that have one.
  std::vector<std::pair<std::string, Tensor>> state_tensors() const override;
  void load_state_tensors(const std::map<std::string, Tensor>& state, const std::string& source) override;

 private:
  std::vector<Tensor> momentum_buffer_;  // undefined until the parameter's first step
  SGDOptions options_;
};

// torch.optim.lr_scheduler.LambdaLR: each group's lr = its initial lr * lr_lambda(step count);
// constructing it sets the lr for step 0, as torch's initial step does.
class LambdaLR {
 public:
  LambdaLR(Optimizer& optimizer, std::function<double(int64_t)> lr_lambda);
  void step();
  // The first group's lr (get_last_lr()[0]).
  double get_last_lr() const { return last_lrs_.at(0); }
  int64_t last_epoch() const { return last_epoch_; }
  // torch's state_dict()/load_state_dict() of the scheduler: last_epoch, base_lrs and _last_lr;
  // loading sets every group's lr to the saved _last_lr (what the saved optimizer's groups held).
  // A list whose length is not the number of groups is a ValueError naming `source`.
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  void load_state(int64_t last_epoch, std::vector<double> base_lrs, std::vector<double> last_lrs,
                  const std::string& source);

 private:
  void apply();
  Optimizer* optimizer_;
  std::function<double(int64_t)> lambda_;
  std::vector<double> base_lrs_;
  std::vector<double> last_lrs_;
  int64_t last_epoch_ = 0;
};

// transformers.get_linear_schedule_with_warmup: 0 -> lr linearly over num_warmup_steps, then
// linearly down to 0 at num_training_steps.
LambdaLR get_linear_schedule_with_warmup(Optimizer& optimizer, int64_t num_warmup_steps, int64_t num_training_steps);

// torch.nn.utils.clip_grad_norm_(params, max_norm) with the 2-norm: returns the total norm of all
// gradients (before clipping) and scales every gradient by min(1, max_norm / (norm + 1e-6)).
// transformers' other schedules (optimization.py), the lambdas exactly as written there.
LambdaLR get_constant_schedule(Optimizer& optimizer);
LambdaLR get_constant_schedule_with_warmup(Optimizer& optimizer, int64_t num_warmup_steps);
// Half a cosine (num_cycles 0.5) from lr to 0 after the warmup.
LambdaLR get_cosine_schedule_with_warmup(Optimizer& optimizer, int64_t num_warmup_steps, int64_t num_training_steps,
                                         double num_cycles = 0.5);
LambdaLR get_cosine_with_hard_restarts_schedule_with_warmup(Optimizer& optimizer, int64_t num_warmup_steps,
                                                            int64_t num_training_steps, int64_t num_cycles = 1);
// From optimizer.default_lr() down to lr_end with the given power; ValueError unless lr > lr_end.
LambdaLR get_polynomial_decay_schedule_with_warmup(Optimizer& optimizer, int64_t num_warmup_steps,
                                                   int64_t num_training_steps, double lr_end = 1e-7,
                                                   double power = 1.0);
// timescale 0: num_warmup_steps, or 10000 when that is 0 too (Python's None).
LambdaLR get_inverse_sqrt_schedule(Optimizer& optimizer, int64_t num_warmup_steps, int64_t timescale = 0);

// transformers.get_scheduler by SchedulerType name: "linear", "cosine", "cosine_with_restarts",
// "polynomial", "constant", "constant_with_warmup", "inverse_sqrt" (default keyword arguments).
// The ones needing num_training_steps refuse a negative one; an unknown name is a ValueError that
// lists the known ones.
LambdaLR get_scheduler(const std::string& name, Optimizer& optimizer, int64_t num_warmup_steps,
                       int64_t num_training_steps);

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm);

// The model's distinct parameters, each made writable first: a parameter viewing a read-only
// checkpoint mapping is replaced by a copy in every slot that shares it (ties kept), so an
// optimiser can update it in place. Python's from_pretrained gives writable parameters.
std::vector<Tensor> trainable_parameters(nn::Module& model);

}  // namespace transformers::training
