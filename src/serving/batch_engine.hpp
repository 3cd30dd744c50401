#pragma once
// How `serve` shares the one model between concurrent requests: continuous batching. One engine
// thread owns a ContinuousBatch (generation/continuous_batching.hpp); request threads submit jobs
// (one sequence per choice of the request) and read back each token as it is chosen. Between two
// decode steps the engine admits waiting jobs (their prompts prefilled together, grouped by length,
// then joining the running batch), drops the sequences whose client went away or whose stop
// sequence appeared, and runs one step of every running sequence: one forward over all rows, so the
// weights are read once per step for the whole batch. At most `max_batch` sequences run;
// `max_queue` jobs wait beyond them, more are refused (429).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "transformers/generation/continuous_batching.hpp"
#include "transformers/ops/random.hpp"

namespace transformers::serving {

// One token of one choice, or the error that ended it.
struct JobEvent {
  int choice = 0;
  SequenceStep step;
  std::string error;  // non-empty: the sequence could not run (add() threw); it is over
};

// A request's sequences as the engine runs them and the request thread reads them.
class Job {
 public:
  explicit Job(std::vector<SequenceRequest> choices);
  int choices() const { return int(requests_.size()); }
  // Waits for the next events (at least one) and moves them out.
  std::vector<JobEvent> wait();
  // The request no longer wants this choice (stop sequence seen, client gone): it leaves the batch
  // before the next step.
  void cancel(int choice);
  void cancel_all();

 private:
  friend class BatchEngine;
  void push(JobEvent e);
  bool cancelled(int choice);
  std::vector<SequenceRequest> requests_;
  std::vector<std::unique_ptr<ops::Generator>> generators_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<JobEvent> events_;
  std::vector<bool> cancelled_;
};

class BatchEngine {
 public:
  BatchEngine(PreTrainedModel& model, int max_batch, int max_queue);
  ~BatchEngine();  // stops the engine thread (running jobs get an error event)
  BatchEngine(const BatchEngine&) = delete;
  BatchEngine& operator=(const BatchEngine&) = delete;

  // Queues the request's sequences (seeds: options.generator unset gets a generator seeded with
  // `seeds[i]`); nullptr when max_queue jobs already wait.
  std::shared_ptr<Job> submit(std::vector<SequenceRequest> choices, const std::vector<uint64_t>& seeds);

  int running() const;  // sequences in the batch
  int waiting() const;  // jobs queued

 private:
  void loop();
  void admit();
  void drop_cancelled();
  void deliver(const SequenceStep& s);

  ContinuousBatch batch_;
  const int max_batch_, max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stopping_ = false;
  int admitting_ = 0;  // choices of the job being prefilled
  struct Running {
    std::shared_ptr<Job> job;
    int choice;
  };
  std::vector<std::pair<int64_t, Running>> rows_;  // sequence id -> its job (changed by the engine under mu_)
  std::thread thread_;
};

}  // namespace transformers::serving
