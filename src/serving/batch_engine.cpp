// serve's continuous-batching engine (batch_engine.hpp).
#include "batch_engine.hpp"

#include <algorithm>

#include "transformers/core/error.hpp"

namespace transformers::serving {

namespace {
// Prompt tokens prefilled between two decode steps (at least one job is always admitted): joining
// requests delay the running ones by about this much prefill per step, not by a whole burst's. The
// jobs admitted together are prefilled together (ContinuousBatch::add_all).
constexpr int64_t kPrefillTokensPerStep = 512;
}  // namespace

Job::Job(std::vector<SequenceRequest> choices) : requests_(std::move(choices)), cancelled_(requests_.size(), false) {}

std::vector<JobEvent> Job::wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !events_.empty(); });
  std::vector<JobEvent> out(std::make_move_iterator(events_.begin()), std::make_move_iterator(events_.end()));
  events_.clear();
  return out;
}

void Job::push(JobEvent e) {
  {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
  }
  cv_.notify_one();
}

void Job::cancel(int choice) {
  std::lock_guard lock(mu_);
  cancelled_[size_t(choice)] = true;
}

void Job::cancel_all() {
  std::lock_guard lock(mu_);
  std::fill(cancelled_.begin(), cancelled_.end(), true);
}

bool Job::cancelled(int choice) {
  std::lock_guard lock(mu_);
  return cancelled_[size_t(choice)];
}

BatchEngine::BatchEngine(PreTrainedModel& model, int max_batch, int max_queue)
    : batch_(model), max_batch_(max_batch), max_queue_(max_queue) {
  thread_ = std::thread([this] { loop(); });
}

BatchEngine::~BatchEngine() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  for (auto& [id, r] : rows_) r.job->push({.choice = r.choice, .step = {}, .error = "the server is shutting down"});
  for (auto& job : queue_)
    for (int c = 0; c < job->choices(); ++c) job->push({.choice = c, .step = {}, .error = "the server is shutting down"});
}

std::shared_ptr<Job> BatchEngine::submit(std::vector<SequenceRequest> choices, const std::vector<uint64_t>& seeds) {
  auto job = std::make_shared<Job>(std::move(choices));
  for (size_t i = 0; i < job->requests_.size(); ++i) {
    auto& o = job->requests_[i].options;
    if (!o.generator) {
      job->generators_.push_back(std::make_unique<ops::Generator>(seeds.at(i)));
      o.generator = job->generators_.back().get();
    }
  }
  {
    std::lock_guard lock(mu_);
    // Jobs that fit beside the running sequences are only queued until the next step admits them;
    // a sequence its request has given up (stop sequence, client gone) no longer counts.
    int live = admitting_;  // a job between the queue and the batch
    for (const auto& [id, r] : rows_) live += r.job->cancelled(r.choice) ? 0 : 1;
    if (int(queue_.size()) >= max_queue_ + std::max(0, max_batch_ - live)) return nullptr;
    queue_.push_back(job);
  }
  cv_.notify_one();
  return job;
}

int BatchEngine::running() const {
  std::lock_guard lock(mu_);
  return int(rows_.size());
}

int BatchEngine::waiting() const {
  std::lock_guard lock(mu_);
  return int(queue_.size());
}

void BatchEngine::deliver(const SequenceStep& s) {
  Running r;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(rows_.begin(), rows_.end(), [&](const auto& row) { return row.first == s.id; });
    if (it == rows_.end()) return;
    r = it->second;
    // A finished row is gone before its request hears of it, so a client that saw the end finds the place free.
    if (s.finished) rows_.erase(it);
  }
  r.job->push({.choice = r.choice, .step = s, .error = {}});
}

void BatchEngine::admit() {
  // The jobs admitted before this step, taken from the queue in order while they fit.
  std::vector<std::shared_ptr<Job>> jobs;
  {
    std::lock_guard lock(mu_);
    int rows = int(rows_.size());
    int64_t prefilled = 0;
    while (!queue_.empty()) {
      const std::shared_ptr<Job>& job = queue_.front();
      if (rows > 0 && (rows + job->choices() > max_batch_ || prefilled >= kPrefillTokensPerStep)) break;
      for (const auto& r : job->requests_) prefilled += int64_t(r.input_ids.size());
      rows += job->choices();
      admitting_ += job->choices();
      jobs.push_back(job);
      queue_.pop_front();
    }
  }
  if (jobs.empty()) return;
  // All their sequences join in one add_all: prompts of similar length are prefilled by one forward.
  std::vector<SequenceRequest> requests;
  std::vector<Running> owners;
  for (const auto& job : jobs)
    for (int c = 0; c < job->choices(); ++c)
      if (!job->cancelled(c)) {
        requests.push_back(job->requests_[size_t(c)]);
        owners.push_back({job, c});
      }
  std::vector<ContinuousBatch::Added> added;
  try {
    added = batch_.add_all(std::move(requests));
  } catch (...) {  // not a request's own error (out of memory): every one gets it
    added.assign(owners.size(), {.first = {}, .error = std::current_exception()});
  }
  for (size_t i = 0; i < owners.size(); ++i) {
    const Running& o = owners[i];
    if (added[i].error) {
      std::string what = "unknown error";
      try {
        std::rethrow_exception(added[i].error);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      o.job->push({.choice = o.choice, .step = {}, .error = what});
      continue;
    }
    if (!added[i].first.finished) {
      std::lock_guard lock(mu_);
      rows_.push_back({added[i].first.id, o});
    }
    o.job->push({.choice = o.choice, .step = added[i].first, .error = {}});
  }
  std::lock_guard lock(mu_);
  admitting_ = 0;
}

void BatchEngine::drop_cancelled() {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < rows_.size();) {
    if (rows_[i].second.job->cancelled(rows_[i].second.choice)) {
      batch_.remove(rows_[i].first);
      rows_.erase(rows_.begin() + int64_t(i));
    } else {
      ++i;
    }
  }
}

void BatchEngine::loop() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || !rows_.empty(); });
      if (stopping_) return;
    }
    admit();
    drop_cancelled();
    try {
      for (const SequenceStep& s : batch_.step()) deliver(s);
    } catch (const std::exception& e) {  // a failed step ends every running sequence
      std::vector<std::pair<int64_t, Running>> failed;
      {
        std::lock_guard lock(mu_);
        failed.swap(rows_);
      }
      for (auto& [id, r] : failed) {
        batch_.remove(id);
        r.job->push({.choice = r.choice, .step = {}, .error = e.what()});
      }
    }
  }
}

}  // namespace transformers::serving
