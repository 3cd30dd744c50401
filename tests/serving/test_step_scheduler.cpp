// serve's scheduler (src/serving/step_scheduler.hpp): running requests take the model in turns, one
// step each, first come first served; beyond max_running they wait, beyond max_waiting they are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "serving/step_scheduler.hpp"

namespace {

using transformers::serving::StepScheduler;
using transformers::serving::Turn;

TEST(StepScheduler, RunningRequestsAlternateStepByStep) {
  StepScheduler s(2, 0);
  std::mutex mu;
  std::string order;
  auto request = [&](char name) {
    Turn turn(s);
    for (int step = 0; step < 20; ++step) {
      {
        std::lock_guard lock(mu);
        order += name;
      }
      turn.pause();
      turn.resume();
    }
  };
  {
    Turn first(s);  // both requests queue for the turn while this one holds it
    std::thread a(request, 'a');
    for (int i = 0; i < 5000 && s.turn_queue() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::thread b(request, 'b');
    for (int i = 0; i < 5000 && s.turn_queue() < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(s.turn_queue(), 3);
    first.pause();
    a.join();
    b.join();
  }
  // The turn goes in arrival order: a queued before b, so b's first step comes before a's second
  // (later turns depend on when each thread comes back: one that is not queued is skipped).
  ASSERT_EQ(order.size(), 40u);
  EXPECT_EQ(order.substr(0, 2), "ab") << order;
  EXPECT_EQ(std::count(order.begin(), order.end(), 'a'), 20) << order;
}

TEST(StepScheduler, WaitsBeyondMaxRunningAndRefusesBeyondMaxWaiting) {
  StepScheduler s(1, 1);
  ASSERT_TRUE(s.enter());
  bool second = false;
  std::thread waiter([&] { second = s.enter(); });
  for (int i = 0; i < 2000 && s.waiting() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(s.waiting(), 1);
  EXPECT_FALSE(s.enter());  // the queue is full: 429
  s.leave();
  waiter.join();
  EXPECT_TRUE(second);
  EXPECT_EQ(s.running(), 1);
  s.leave();
  EXPECT_EQ(s.running(), 0);
}

}  // namespace
