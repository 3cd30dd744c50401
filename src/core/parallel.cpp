#include "transformers/core/parallel.hpp"
#include "transformers/core/parallel_tasks.hpp"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "transformers/core/error.hpp"
#include "pool_lag_policy.hpp"

extern "C" void openblas_set_num_threads(int);

namespace transformers {

int max_num_threads() {
  // The CPUs this process may run on (taskset, cgroup cpusets); more threads than that only
  // time-slice, and each costs a stack and OpenBLAS buffers (with 32+ under an address-space limit
  // OpenBLAS's workers failed to map theirs and the process hung at exit).
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

int physical_core_count() {
  // Count distinct (physical id, core id) pairs; fall back to hardware_concurrency.
  std::ifstream in("/proc/cpuinfo");
  std::set<std::pair<int, int>> cores;
  std::string line;
  int phys = 0;
  while (std::getline(in, line)) {
    if (line.rfind("physical id", 0) == 0) phys = std::atoi(line.substr(line.find(':') + 1).c_str());
    if (line.rfind("core id", 0) == 0) cores.insert({phys, std::atoi(line.substr(line.find(':') + 1).c_str())});
  }
  const int hw = int(std::max(1u, std::thread::hardware_concurrency()));
  if (cores.empty()) return hw;
  return std::min<int>(int(cores.size()), hw);
}

namespace {

// How long an idle worker (and a caller waiting for the workers) keeps polling before it sleeps on
// a condition variable. A decode step is ~100 parallel ops a few tens of microseconds apart; a
// condition-variable wake-up costs tens of microseconds (a scheduler slice on a loaded machine), so
// sleeping between them made a two-thread op slower than one thread. Polling for a short while, as
// OpenMP runtimes and OpenBLAS do, keeps the worker ready for the next op. The budget is 10 ms, not
// the 200 us it was: on a core shared with other (even nice 19) processes, a worker that slept is
// woken but not run until the running task's slice ends (EEVDF does not preempt at once), so every
// gap between ops (tokenizing the next batch, a serial op) cost the second core for milliseconds.
// Measured (docs/benchmarks.md, "The pool's spin budget"): embed on 2 threads beside nice-19 builds
// 16-17.6 s at 200 us, 11.3-11.6 s at 10 ms (9.1 s with the builds stopped); GPT-2 2-thread prefill
// 443-455 -> 518-582 tokens/s; with an equal-priority busy process on one core, 2-thread decode
// 18.1 -> 21.7 tokens/s. TRANSFORMERS_SPIN_US overrides it (0: always sleep).
int64_t spin_microseconds() {
  static const int64_t us = [] {
    if (const char* env = std::getenv("TRANSFORMERS_SPIN_US")) return std::max<int64_t>(0, std::atoll(env));
    return int64_t(10000);
  }();
  return us;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Polls `done()` for up to spin_microseconds(); true as soon as it holds.
template <class Pred>
bool spin_until(Pred done) {
  const int64_t budget = spin_microseconds();
  if (budget == 0) return done();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(budget);
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}

// A fixed pool of workers that wait for a job; a job is a range split into chunks claimed with an
// atomic counter, the calling thread claiming chunks too. Job fields are written under m_ and read
// by a worker only after it took m_ (so every hand-over is ordered by the mutex); `generation_` is
// atomic only so that waiting workers can poll it before sleeping, `job_` (below) so that workers
// enter and leave a job, and the caller closes it, without the mutex.
class ThreadPool {
 public:
  // The default pool: a thread that cannot start leaves it single-threaded (nobody asked for more).
  explicit ThreadPool(int threads) {
    try {
      resize(threads);
    } catch (const EnvironmentError&) {
    }
  }
  ~ThreadPool() { stop_workers(); }

  int size() const { return threads_; }

  void resize(int threads) {
    std::lock_guard<std::mutex> run_lock(run_mutex_);
    stop_workers();
    lag_policy_ = {};  // a new pool starts trusting its workers
    threads_ = std::max(1, threads);
    stop_.store(false);
    try {
      for (int i = 1; i < threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
    } catch (const std::system_error& e) {
      // A thread that cannot start (no memory for its stack, a process limit): stop the ones that
      // did and stay single-threaded, so the pool is usable and the process still exits cleanly.
      const int started = int(workers_.size()) + 1;
      stop_workers();
      threads_ = 1;
      stop_.store(false);
      throw EnvironmentError("cannot start a pool of " + std::to_string(threads) + " threads (thread " +
                             std::to_string(started + 1) + " failed: " + e.what() + "); running on one thread");
    }
  }

  // coarse: a parallel_tasks job, which the lag policy neither decides nor learns from.
  void run(int64_t begin, int64_t end, int64_t chunk, const std::function<void(int64_t, int64_t)>& fn,
           bool coarse = false) {
    std::lock_guard<std::mutex> run_lock(run_mutex_);  // one job at a time
    const auto start = std::chrono::steady_clock::now();
    if (!coarse && lag_policy_.alone(start)) {  // the workers lagged lately: the caller runs the job by itself
      in_pool = true;
      try {
        for (int64_t b = begin; b < end; b += chunk) fn(b, std::min(end, b + chunk));
      } catch (...) {
        in_pool = false;
        throw;
      }
      in_pool = false;
      return;
    }
    {
      std::lock_guard<std::mutex> lk(m_);
      fn_ = &fn;
      begin_ = begin;
      end_ = end;
      chunk_ = chunk;
      next_.store(begin);
      const uint64_t gen = generation_.load() + 1;
      job_.store(gen << 32);  // open, nobody inside
      generation_.store(gen);
    }
    cv_.notify_all();
    work();
    const auto own_done = std::chrono::steady_clock::now();
    // Every chunk is claimed: close the job so that a worker arriving now stays out, and wait only
    // for the workers inside it. (Waiting for every worker to look in, as the pool did, cost a
    // sleeping worker's wake-up per op even when the caller had run all chunks itself: 0.4-5 ms
    // beside other processes.)
    job_.fetch_or(kJobClosed);
    spin_until([&] { return (job_.load(std::memory_order_acquire) & kJobInside) == 0; });
    std::unique_lock<std::mutex> lk(m_);
    done_cv_.wait(lk, [&] { return (job_.load() & kJobInside) == 0; });
    fn_ = nullptr;
    if (!coarse && going_alone_enabled()) lag_policy_.note(start, own_done, std::chrono::steady_clock::now());
    if (error_) {
      auto e = std::exchange(error_, nullptr);
      std::rethrow_exception(e);
    }
  }

  static thread_local bool in_pool;

 private:
  static bool going_alone_enabled() {  // TRANSFORMERS_POOL_ALONE=0 turns core_detail::PoolLagPolicy off
    static const bool on = [] {
      const char* env = std::getenv("TRANSFORMERS_POOL_ALONE");
      return !(env && std::string(env) == "0");
    }();
    return on;
  }
  core_detail::PoolLagPolicy lag_policy_;

  void work() {
    in_pool = true;
    try {
      for (;;) {
        const int64_t b = next_.fetch_add(chunk_);
        if (b >= end_) break;
        (*fn_)(b, std::min(end_, b + chunk_));
      }
    } catch (...) {
      std::lock_guard<std::mutex> lk(m_);
      if (!error_) error_ = std::current_exception();
      next_.store(end_);
    }
    in_pool = false;
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      spin_until([&] {
        return stop_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
      });
      {
        std::unique_lock<std::mutex> lk(m_);  // returns at once when the spin already saw the job
        cv_.wait(lk, [&] { return stop_.load() || generation_.load() != seen; });
        if (stop_.load()) return;
        seen = generation_.load();
      }
      if (!enter(seen)) continue;  // the caller already ran every chunk and closed the job
      work();
      if ((job_.fetch_sub(1) & kJobInside) == 1) {
        // Under m_ so that a caller between its predicate check and its wait cannot miss this.
        std::lock_guard<std::mutex> lk(m_);
        done_cv_.notify_one();
      }
    }
  }

  // job_: the job's generation (high 32 bits), kJobClosed once the caller has no chunk left to
  // claim, and the number of workers inside (low bits). A worker enters only an open job of the
  // generation it was woken for, so once the caller saw it closed and empty no worker can still
  // touch fn_.
  static constexpr uint64_t kJobClosed = uint64_t(1) << 31;
  static constexpr uint64_t kJobInside = kJobClosed - 1;
  bool enter(uint64_t generation) {
    uint64_t state = job_.load();
    for (;;) {
      if ((state >> 32) != (generation & 0xffffffffu) || (state & kJobClosed)) return false;
      if (job_.compare_exchange_weak(state, state + 1)) return true;
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_.store(true);
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  int threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex run_mutex_, m_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t begin_ = 0, end_ = 0, chunk_ = 1;
  std::atomic<int64_t> next_{0};
  std::atomic<uint64_t> job_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;
};
thread_local bool ThreadPool::in_pool = false;

int default_threads() {
  if (const char* env = std::getenv("TRANSFORMERS_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return std::min(n, max_num_threads());
  }
  return std::min(physical_core_count(), max_num_threads());
}

ThreadPool& pool() {
  static ThreadPool p(default_threads());
  static const bool blas_set = [] {
    openblas_set_num_threads(p.size());
    return true;
  }();
  (void)blas_set;
  return p;
}
}  // namespace

int get_num_threads() { return pool().size(); }

void set_num_threads(int n) {
  n = std::clamp(n, 1, kMaxThreadsPerCpu * max_num_threads());
  // pool() first: its one-time initialiser sets OpenBLAS to the default count, which would
  // otherwise overwrite this call's count when set_num_threads comes before any parallel op.
  ThreadPool& p = pool();
  try {
    if (n != p.size()) p.resize(n);
  } catch (const EnvironmentError&) {
    openblas_set_num_threads(1);
    throw;
  }
  openblas_set_num_threads(n);
}

void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (end <= begin) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t n = end - begin;
  ThreadPool& p = pool();
  if (p.size() == 1 || n <= grain || ThreadPool::in_pool) {
    fn(begin, end);
    return;
  }
  // About 4 chunks per thread for balance, but never smaller than the grain.
  const int64_t chunks = std::min<int64_t>(int64_t(p.size()) * 4, (n + grain - 1) / grain);
  const int64_t chunk = (n + chunks - 1) / chunks;
  p.run(begin, end, chunk, fn);
}

void parallel_tasks(int64_t n, const std::function<void(int64_t)>& fn) {
  ThreadPool& p = pool();
  if (p.size() == 1 || n <= 1 || ThreadPool::in_pool) {
    for (int64_t t = 0; t < n; ++t) fn(t);
    return;
  }
  // One chunk per thread; each claims tasks from `next` until none is left. A task that throws
  // stops the others from starting new ones (the pool keeps and rethrows the first exception).
  std::atomic<int64_t> next{0};
  const int64_t lanes = std::min<int64_t>(p.size(), n);
  p.run(
      0, lanes, 1,
      [&](int64_t, int64_t) {
        for (int64_t t = next.fetch_add(1); t < n; t = next.fetch_add(1)) {
          try {
            fn(t);
          } catch (...) {
            next.store(n);
            throw;
          }
        }
      },
      /*coarse=*/true);
}

int available_threads() { return ThreadPool::in_pool ? 1 : get_num_threads(); }

}  // namespace transformers
