// transformers' learning-rate schedules (optimization.py, 4.51): each is a LambdaLR whose lambda is
// written as Python's, in double precision, so the lr of every step equals Python's float.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "transformers/core/error.hpp"
#include "transformers/training/optimization.hpp"

namespace transformers::training {

namespace {
// The warmup every schedule shares: step / max(1, num_warmup_steps).
double warmup(int64_t step, int64_t num_warmup_steps) {
  return double(step) / double(std::max<int64_t>(1, num_warmup_steps));
}

// float(current_step - warmup) / float(max(1, total - warmup)).
double progress(int64_t step, int64_t num_warmup_steps, int64_t num_training_steps) {
  return double(step - num_warmup_steps) / double(std::max<int64_t>(1, num_training_steps - num_warmup_steps));
}
}  // namespace

LambdaLR get_constant_schedule(Optimizer& optimizer) {
  return LambdaLR(optimizer, [](int64_t) { return 1.0; });
}

LambdaLR get_constant_schedule_with_warmup(Optimizer& optimizer, int64_t num_warmup_steps) {
  return LambdaLR(optimizer, [=](int64_t step) { return step < num_warmup_steps ? warmup(step, num_warmup_steps) : 1.0; });
}

LambdaLR get_linear_schedule_with_warmup(Optimizer& optimizer, int64_t num_warmup_steps, int64_t num_training_steps) {
  return LambdaLR(optimizer, [=](int64_t step) {
    if (step < num_warmup_steps) return warmup(step, num_warmup_steps);
    return std::max(0.0, double(num_training_steps - step) /
                             double(std::max<int64_t>(1, num_training_steps - num_warmup_steps)));
  });
}

LambdaLR get_cosine_schedule_with_warmup(Optimizer& optimizer, int64_t num_warmup_steps, int64_t num_training_steps,
                                         double num_cycles) {
  return LambdaLR(optimizer, [=](int64_t step) {
    if (step < num_warmup_steps) return warmup(step, num_warmup_steps);
    const double p = progress(step, num_warmup_steps, num_training_steps);
    return std::max(0.0, 0.5 * (1.0 + std::cos(std::numbers::pi * num_cycles * 2.0 * p)));
  });
}

LambdaLR get_cosine_with_hard_restarts_schedule_with_warmup(Optimizer& optimizer, int64_t num_warmup_steps,
                                                            int64_t num_training_steps, int64_t num_cycles) {
  return LambdaLR(optimizer, [=](int64_t step) {
    if (step < num_warmup_steps) return warmup(step, num_warmup_steps);
    const double p = progress(step, num_warmup_steps, num_training_steps);
    if (p >= 1.0) return 0.0;
    // Python's % on a non-negative float is fmod.
    return std::max(0.0, 0.5 * (1.0 + std::cos(std::numbers::pi * std::fmod(double(num_cycles) * p, 1.0))));
  });
}

LambdaLR get_polynomial_decay_schedule_with_warmup(Optimizer& optimizer, int64_t num_warmup_steps,
                                                   int64_t num_training_steps, double lr_end, double power) {
  const double lr_init = optimizer.default_lr();
  if (!(lr_init > lr_end))
    throw ValueError("get_polynomial_decay_schedule_with_warmup: lr_end (" + std::to_string(lr_end) +
                     ") must be smaller than initial lr (" + std::to_string(lr_init) + ")");
  if (num_training_steps == num_warmup_steps)  // Python divides by zero at that step
    throw ValueError("get_polynomial_decay_schedule_with_warmup: num_training_steps equals num_warmup_steps (" +
                     std::to_string(num_training_steps) + "), which leaves no decay steps");
  return LambdaLR(optimizer, [=](int64_t step) {
    if (step < num_warmup_steps) return warmup(step, num_warmup_steps);
    if (step > num_training_steps) return lr_end / lr_init;
    const double lr_range = lr_init - lr_end;
    const double decay_steps = double(num_training_steps - num_warmup_steps);
    const double pct_remaining = 1 - double(step - num_warmup_steps) / decay_steps;
    return (lr_range * std::pow(pct_remaining, power) + lr_end) / lr_init;
  });
}

LambdaLR get_inverse_sqrt_schedule(Optimizer& optimizer, int64_t num_warmup_steps, int64_t timescale) {
  if (timescale == 0) timescale = num_warmup_steps != 0 ? num_warmup_steps : 10000;
  return LambdaLR(optimizer, [=](int64_t step) {
    if (step < num_warmup_steps) return warmup(step, num_warmup_steps);
    const int64_t shift = timescale - num_warmup_steps;
    return 1.0 / std::sqrt(double(step + shift) / double(timescale));
  });
}

LambdaLR get_scheduler(const std::string& name, Optimizer& optimizer, int64_t num_warmup_steps,
                       int64_t num_training_steps) {
  if (num_warmup_steps < 0)
    throw ValueError("get_scheduler: num_warmup_steps must be >= 0, found " + std::to_string(num_warmup_steps));
  if (name == "constant") return get_constant_schedule(optimizer);
  if (name == "constant_with_warmup") return get_constant_schedule_with_warmup(optimizer, num_warmup_steps);
  if (name == "inverse_sqrt") return get_inverse_sqrt_schedule(optimizer, num_warmup_steps);
  const bool known = name == "linear" || name == "cosine" || name == "cosine_with_restarts" || name == "polynomial";
  if (!known)
    throw ValueError("get_scheduler: unknown scheduler type '" + name +
                     "', expected one of linear, cosine, cosine_with_restarts, polynomial, constant, "
                     "constant_with_warmup, inverse_sqrt");
  if (num_training_steps < 0)
    throw ValueError("get_scheduler: " + name + " requires num_training_steps >= 0, found " +
                     std::to_string(num_training_steps));
  if (name == "linear") return get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps);
  if (name == "cosine") return get_cosine_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps);
  if (name == "cosine_with_restarts")
    return get_cosine_with_hard_restarts_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps);
  return get_polynomial_decay_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps);
}

}  // namespace transformers::training
