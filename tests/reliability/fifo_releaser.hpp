#pragma once
// For tests of readers that must refuse a FIFO instead of opening it: a reader that (wrongly) opens
// it blocks in open() until a writer comes. FifoReleaser becomes that writer after `after`, so the
// test ends either way, and the time the reader took says whether it blocked.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

namespace reliability {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct FifoReleaser {
  std::atomic<bool> stop{false};
  std::thread t;
  FifoReleaser(const std::filesystem::path& fifo, std::chrono::milliseconds after) {
    t = std::thread([this, fifo, after] {
      const auto until = Clock::now() + after;
      while (!stop && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      while (!stop) {
        // Non-blocking: fails (ENXIO) while no reader waits, so this thread never blocks either.
        const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) ::close(fd);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  ~FifoReleaser() {
    stop = true;
    t.join();
  }
  FifoReleaser(const FifoReleaser&) = delete;
  FifoReleaser& operator=(const FifoReleaser&) = delete;
};

}  // namespace reliability
