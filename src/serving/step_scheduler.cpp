// The request scheduler of `serve` (step_scheduler.hpp).
#include "step_scheduler.hpp"

namespace transformers::serving {

bool StepScheduler::enter() {
  std::unique_lock lock(mu_);
  if (running_ >= max_running_) {
    if (waiting_ >= max_waiting_) return false;
    ++waiting_;
    slot_cv_.wait(lock, [&] { return running_ < max_running_; });
    --waiting_;
  }
  ++running_;
  return true;
}

void StepScheduler::leave() {
  {
    std::lock_guard lock(mu_);
    --running_;
  }
  slot_cv_.notify_one();
}

void StepScheduler::acquire_turn() {
  std::unique_lock lock(mu_);
  const uint64_t ticket = next_ticket_++;
  turn_cv_.wait(lock, [&] { return serving_ == ticket; });
}

void StepScheduler::release_turn() {
  {
    std::lock_guard lock(mu_);
    ++serving_;
  }
  turn_cv_.notify_all();
}

int StepScheduler::running() const {
  std::lock_guard lock(mu_);
  return running_;
}
int StepScheduler::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

int StepScheduler::turn_queue() const {
  std::lock_guard lock(mu_);
  return int(next_ticket_ - serving_);
}

}  // namespace transformers::serving
