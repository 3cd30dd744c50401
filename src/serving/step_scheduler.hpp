#pragma once
// How `serve` shares the one model between concurrent requests: at most `max_running` requests
// generate at once, each taking turns of one step (the prefill, then one decode step per turn) in
// arrival order, so every running request advances token by token while the others do too. A
// request beyond them waits for a slot; beyond `max_waiting` waiting ones it is refused (429).
// Each step is still one request's own forward pass: the steps interleave, they are not batched
// into one matrix product.
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace transformers::serving {

class StepScheduler {
 public:
  StepScheduler(int max_running, int max_waiting) : max_running_(max_running), max_waiting_(max_waiting) {}

  // Waits for a running slot; false (at once) when max_waiting requests already wait.
  bool enter();
  void leave();
  // The model's turn, first come first served (a ticket lock).
  void acquire_turn();
  void release_turn();

  int running() const;
  int waiting() const;
  // Requests holding or waiting for the model's turn.
  int turn_queue() const;

 private:
  const int max_running_, max_waiting_;
  mutable std::mutex mu_;
  std::condition_variable slot_cv_, turn_cv_;
  int running_ = 0, waiting_ = 0;
  uint64_t next_ticket_ = 0, serving_ = 0;
};

// A running slot held for a scope (enter() must have returned true).
class RunningSlot {
 public:
  explicit RunningSlot(StepScheduler& s) : s_(s) {}
  ~RunningSlot() { s_.leave(); }
  RunningSlot(const RunningSlot&) = delete;
  RunningSlot& operator=(const RunningSlot&) = delete;

 private:
  StepScheduler& s_;
};

// The model's turn held for a scope; pause() gives it to the next request and resume() queues again.
class Turn {
 public:
  explicit Turn(StepScheduler& s) : s_(s) { s_.acquire_turn(); }
  ~Turn() {
    if (held_) s_.release_turn();
  }
  void pause() {
    s_.release_turn();
    held_ = false;
  }
  void resume() {
    s_.acquire_turn();
    held_ = true;
  }
  Turn(const Turn&) = delete;
  Turn& operator=(const Turn&) = delete;

 private:
  StepScheduler& s_;
  bool held_ = true;
};

}  // namespace transformers::serving
