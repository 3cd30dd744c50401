#pragma once
// When the thread pool's caller should run jobs by itself (issue 27, "sharing cores politely").
//
// When another process holds one of our cores, a worker that claimed a chunk is descheduled for that
// process's time slice (milliseconds) while the caller, done with its own chunks in microseconds,
// waits: two threads then decoded GPT-2 at 11.9-13.7 tokens/s against 26-27 for one thread
// (docs/benchmarks.md, "The pool's spin budget"). So a job whose last worker finished much later
// than the caller counts as lagging; after kLagsToGoAlone lagging jobs in a row the caller runs jobs
// by itself for a while, a while that doubles (up to kAloneMax) each time the workers lag again and
// falls back to kAloneMin once they kept up for kOnTimeToTrust jobs. On a quiet machine the workers
// finish with the caller and nothing changes. Kept apart from the pool so that tests can drive it
// with made-up times.
#include <algorithm>
#include <chrono>

namespace transformers::core_detail {

class PoolLagPolicy {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kLagsToGoAlone = 3;
  static constexpr int kOnTimeToTrust = 64;
  static constexpr Clock::duration kAloneMin = std::chrono::milliseconds(20);
  static constexpr Clock::duration kAloneMax = std::chrono::milliseconds(1000);
  static constexpr Clock::duration kJitter = std::chrono::microseconds(500);

  // True while the caller should run jobs alone.
  bool alone(Clock::time_point now) const { return now < alone_until_; }

  // One job the workers took part in: started at `start`, the caller ran out of chunks at
  // `own_done`, the last worker left at `all_done`.
  void note(Clock::time_point start, Clock::time_point own_done, Clock::time_point all_done) {
    const auto own = own_done - start, waited = all_done - own_done;
    // Two threads share a balanced job, so the caller alone would have taken about `own` more: a
    // wait of more than twice that lost time for sure (below kJitter: noise).
    if (waited <= kJitter || waited <= 2 * own) {
      lags_in_a_row_ = 0;
      if (++on_time_in_a_row_ >= kOnTimeToTrust) alone_for_ = kAloneMin;
      return;
    }
    on_time_in_a_row_ = 0;
    if (++lags_in_a_row_ < kLagsToGoAlone) return;
    lags_in_a_row_ = 0;
    alone_until_ = all_done + alone_for_;
    alone_for_ = std::min(alone_for_ * 2, kAloneMax);
  }

 private:
  Clock::time_point alone_until_{};
  Clock::duration alone_for_ = kAloneMin;
  int lags_in_a_row_ = 0;
  int on_time_in_a_row_ = 0;
};

}  // namespace transformers::core_detail
