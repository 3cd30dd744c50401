// The library's thread pool (core/parallel.hpp): every index runs exactly once, errors reach the
// caller, nested calls run inline, several caller threads can share the pool, and the thread count
// reaches OpenBLAS. parallel_tasks (core/parallel_tasks.hpp): every task once, side by side on two
// threads even after lagging workers, nested calls inline, errors reach the caller. Run under ThreadSanitizer too (docs/reliability.md), which is where the pool's
// spin-then-sleep hand-offs are checked for races.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

#include "transformers/core/parallel.hpp"
#include "transformers/core/parallel_tasks.hpp"
#include "core/pool_lag_policy.hpp"

extern "C" int openblas_get_num_threads(void);

namespace transformers {
namespace {

// Runs fn with the pool at n threads, restoring the previous count afterwards.
template <class F>
void with_threads(int n, F fn) {
  const int before = get_num_threads();
  set_num_threads(n);
  fn();
  set_num_threads(before);
}

TEST(Parallel, EveryIndexExactlyOnceForManyShapes) {
  with_threads(2, [] {
    // Many short jobs back to back: each one is a hand-over to a worker that may be spinning or
    // asleep, the case the pool's wake-up logic has to get right.
    for (int rep = 0; rep < 300; ++rep) {
      const int64_t n = 1 + (rep * 37) % 1000;
      const int64_t grain = 1 + rep % 17;
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      parallel_for(0, n, grain, [&](int64_t b, int64_t e) {
        ASSERT_LE(0, b);
        ASSERT_LT(b, e);
        ASSERT_LE(e, n);
        for (int64_t i = b; i < e; ++i) hits[size_t(i)].fetch_add(1);
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[size_t(i)].load(), 1) << "n=" << n << " i=" << i;
    }
  });
}

TEST(Parallel, OffsetAndEmptyRanges) {
  with_threads(2, [] {
    std::atomic<int64_t> sum{0};
    parallel_for(100, 1100, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) sum.fetch_add(i);
    });
    EXPECT_EQ(sum.load(), (100 + 1099) * 1000 / 2);
    bool ran = false;
    parallel_for(5, 5, 1, [&](int64_t, int64_t) { ran = true; });
    parallel_for(7, 3, 1, [&](int64_t, int64_t) { ran = true; });
    EXPECT_FALSE(ran);
  });
}

TEST(Parallel, AnExceptionReachesTheCallerAndThePoolStaysUsable) {
  with_threads(2, [] {
    for (int rep = 0; rep < 20; ++rep) {
      EXPECT_THROW(parallel_for(0, 64, 1,
                                [&](int64_t b, int64_t e) {
                                  const int64_t bad = 63 - rep;  // a different chunk fails each time
                                  if (b <= bad && bad < e) throw std::runtime_error("chunk failed");
                                }),
                   std::runtime_error);
      std::atomic<int> count{0};
      parallel_for(0, 64, 1, [&](int64_t b, int64_t e) { count.fetch_add(int(e - b)); });
      EXPECT_EQ(count.load(), 64);
    }
  });
}

TEST(Parallel, NestedCallsRunInline) {
  with_threads(2, [] {
    std::atomic<int> inner{0};
    parallel_for(0, 8, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const std::thread::id outer = std::this_thread::get_id();
        parallel_for(0, 10, 1, [&](int64_t ib, int64_t ie) {
          EXPECT_EQ(std::this_thread::get_id(), outer);  // no nested fan-out
          inner.fetch_add(int(ie - ib));
        });
      }
    });
    EXPECT_EQ(inner.load(), 80);
  });
}

TEST(Parallel, SeveralCallerThreadsShareThePool) {
  with_threads(2, [] {
    constexpr int kCallers = 4;
    std::vector<int64_t> totals(kCallers, 0);
    std::vector<std::thread> callers;
    for (int c = 0; c < kCallers; ++c)
      callers.emplace_back([&, c] {
        for (int rep = 0; rep < 50; ++rep) {
          std::atomic<int64_t> s{0};
          parallel_for(0, 500, 7, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) s.fetch_add(i + c);
          });
          totals[size_t(c)] += s.load();
        }
      });
    for (auto& t : callers) t.join();
    for (int c = 0; c < kCallers; ++c) EXPECT_EQ(totals[size_t(c)], 50 * (499 * 500 / 2 + 500 * int64_t(c)));
  });
}

TEST(Parallel, ResizingKeepsResultsAndTellsOpenBlas) {
  const int before = get_num_threads();
  for (int n : {3, 1, 2}) {
    set_num_threads(n);
    EXPECT_EQ(get_num_threads(), n);
    EXPECT_EQ(openblas_get_num_threads(), n);
    std::atomic<int> count{0};
    parallel_for(0, 1000, 3, [&](int64_t b, int64_t e) { count.fetch_add(int(e - b)); });
    EXPECT_EQ(count.load(), 1000);
  }
  set_num_threads(before);
}

// In a fresh process (threadsafe death-test style re-runs the binary), set_num_threads before any
// parallel op: the pool's one-time initialisation must not put OpenBLAS back to the default count.
TEST(ParallelDeathTest, FirstCallSetsOpenBlasCount) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        set_num_threads(1);
        std::exit(openblas_get_num_threads() == 1 && get_num_threads() == 1 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// Sharing cores politely (issue 27): the pool's policy of when the caller runs jobs alone, driven
// with made-up times (the real pool feeds it each job's start, the caller's end and the last
// worker's end).
TEST(PoolLagPolicy, ThreeLaggingJobsInARowMakeTheCallerGoAloneForAWhileThatGrows) {
  using core_detail::PoolLagPolicy;
  using us = std::chrono::microseconds;
  PoolLagPolicy policy;
  auto t = PoolLagPolicy::Clock::time_point{} + std::chrono::hours(1);
  // A job: the caller works `own`, then waits `waited` for the last worker.
  auto job = [&](us own, us waited) {
    const auto start = t, own_done = t + own, all_done = own_done + waited;
    policy.note(start, own_done, all_done);
    t = all_done;
  };
  EXPECT_FALSE(policy.alone(t));
  job(us(100), us(3000));
  job(us(100), us(3000));
  job(us(100), us(150));  // on time (under the jitter): the streak starts again
  job(us(100), us(3000));
  job(us(100), us(3000));
  EXPECT_FALSE(policy.alone(t));
  job(us(2000), us(3000));  // a long job: waiting 3 ms is less than twice its 2 ms, not a lag
  job(us(100), us(3000));
  job(us(100), us(3000));
  EXPECT_FALSE(policy.alone(t));
  job(us(100), us(3000));  // the third lag in a row
  EXPECT_TRUE(policy.alone(t));
  EXPECT_TRUE(policy.alone(t + std::chrono::milliseconds(19)));
  EXPECT_FALSE(policy.alone(t + std::chrono::milliseconds(21)));  // alone for 20 ms
  t += std::chrono::milliseconds(21);
  for (int i = 0; i < 3; ++i) job(us(100), us(3000));  // lagging again at once: 40 ms now
  EXPECT_TRUE(policy.alone(t + std::chrono::milliseconds(39)));
  EXPECT_FALSE(policy.alone(t + std::chrono::milliseconds(41)));
  t += std::chrono::milliseconds(41);
  for (int i = 0; i < PoolLagPolicy::kOnTimeToTrust; ++i) job(us(100), us(50));  // workers keep up
  for (int i = 0; i < 3; ++i) job(us(100), us(3000));
  EXPECT_TRUE(policy.alone(t + std::chrono::milliseconds(19)));  // back to 20 ms
  EXPECT_FALSE(policy.alone(t + std::chrono::milliseconds(21)));
  // The while never passes a second however often the workers lag.
  for (int round = 0; round < 12; ++round) {
    t += std::chrono::seconds(2);
    for (int i = 0; i < 3; ++i) job(us(100), us(3000));
  }
  EXPECT_TRUE(policy.alone(t + std::chrono::milliseconds(999)));
  EXPECT_FALSE(policy.alone(t + std::chrono::milliseconds(1001)));
}

// The pool itself: jobs still run every index exactly once while the caller goes alone and after.
TEST(Parallel, JobsStayExactWhenAWorkerLags) {
  with_threads(2, [] {
    const auto caller = std::this_thread::get_id();
    for (int round = 0; round < 12; ++round) {
      std::vector<std::atomic<int>> hits(64);
      parallel_for(0, 64, 8, [&](int64_t b, int64_t e) {
        if (std::this_thread::get_id() != caller && round < 8)
          std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a descheduled worker
        for (int64_t i = b; i < e; ++i) ++hits[size_t(i)];
      });
      for (auto& h : hits) ASSERT_EQ(h.load(), 1) << "round " << round;
    }
  });
}

// Waits (up to 20 s, so a descheduled worker on a busy machine still arrives) until `count` has
// reached `want`; true when it did.
bool wait_for(const std::atomic<int>& count, int want) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (count.load() < want)
    if (std::chrono::steady_clock::now() > until) return false;
    else std::this_thread::yield();
  return true;
}

TEST(ParallelTasks, EveryTaskOnceWithNestedCallsInlineAndOneThreadAvailable) {
  with_threads(2, [] {
    EXPECT_EQ(available_threads(), 2);
    for (int64_t n : {0, 1, 2, 3, 17}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::atomic<int> bad{0};
      parallel_tasks(n, [&](int64_t t) {
        ASSERT_LE(0, t);
        ASSERT_LT(t, n);
        ++hits[size_t(t)];
        if (n > 1 && available_threads() != 1) ++bad;  // a task is not cut for threads it will not get
        const std::thread::id here = std::this_thread::get_id();
        parallel_for(0, 10, 1, [&](int64_t, int64_t) {
          if (std::this_thread::get_id() != here) ++bad;  // nested calls run inline
        });
      });
      for (auto& h : hits) EXPECT_EQ(h.load(), 1) << "n=" << n;
      EXPECT_EQ(bad.load(), 0) << "n=" << n;
    }
    parallel_for(0, 2, 1, [&](int64_t, int64_t) { EXPECT_EQ(available_threads(), 1); });
  });
  with_threads(1, [] {  // one thread: in order, on the caller
    std::vector<int64_t> seen;
    parallel_tasks(5, [&](int64_t t) { seen.push_back(t); });
    EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 4}));
  });
}

// The tasks run side by side: task 0 waits until a second task has started, which only a second
// thread can do. First the worker lags three jobs in a row (its chunks sleep 5 ms, the caller's
// take 0.2 ms), which makes parallel_for's caller run jobs alone for a while (pool_lag_policy.hpp;
// checked: a job right after runs on the caller only). parallel_tasks must not go alone (task 0
// would wait out the timeout and the test fail).
TEST(ParallelTasks, RunSideBySideEvenWhileParallelForGoesAlone) {
  with_threads(2, [] {
    const auto caller = std::this_thread::get_id();
    bool alone = false;
    for (int attempt = 0; attempt < 20 && !alone; ++attempt) {
      for (int job = 0; job < 3; ++job)
        parallel_for(0, 16, 1, [&](int64_t, int64_t) {
          if (std::this_thread::get_id() != caller) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
          } else {
            const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
            while (std::chrono::steady_clock::now() < until) {
            }
          }
        });
      std::atomic<int> elsewhere{0};
      parallel_for(0, 64, 1, [&](int64_t, int64_t) {
        if (std::this_thread::get_id() != caller) ++elsewhere;
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
        while (std::chrono::steady_clock::now() < until) {
        }
      });
      alone = elsewhere.load() == 0;
    }
    ASSERT_TRUE(alone) << "the lagging worker did not make parallel_for go alone";
    std::atomic<int> started{0};
    std::atomic<bool> side_by_side{false};
    parallel_tasks(2, [&](int64_t t) {
      ++started;
      if (t == 0) side_by_side = wait_for(started, 2);
    });
    EXPECT_TRUE(side_by_side.load());
  });
}

TEST(ParallelTasks, AnExceptionReachesTheCallerAndLaterTasksDoNotStart) {
  with_threads(2, [] {
    std::atomic<int> ran{0};
    EXPECT_THROW(parallel_tasks(1000,
                                [&](int64_t t) {
                                  ++ran;
                                  if (t == 3) throw std::runtime_error("task failed");
                                }),
                 std::runtime_error);
    EXPECT_LT(ran.load(), 1000);  // at most the tasks already claimed when task 3 threw
    std::atomic<int> count{0};
    parallel_tasks(8, [&](int64_t) { ++count; });  // the pool is usable again
    EXPECT_EQ(count.load(), 8);
  });
}

}  // namespace
}  // namespace transformers
