// Thread-count bounds (issue 18 item 16): --threads had no upper bound, and with 32+ threads under
// an address-space limit OpenBLAS's workers failed and the process hung at exit. The pool's count
// is now bounded by the CPUs the process may use, and a pool that cannot start its threads is a
// typed error that leaves a working single-threaded pool behind.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "transformers/core/error.hpp"
#include "transformers/core/parallel.hpp"

namespace transformers {
namespace {

TEST(ThreadLimits, CountIsBoundedByTheCpusTheProcessMayUse) {
  const int before = get_num_threads();
  ASSERT_GE(max_num_threads(), 1);
  set_num_threads(1 << 20);
  EXPECT_EQ(get_num_threads(), kMaxThreadsPerCpu * max_num_threads());
  std::atomic<int64_t> sum{0};
  parallel_for(0, 10000, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) sum.fetch_add(i);
  });
  EXPECT_EQ(sum.load(), 10000 * 9999 / 2);
  set_num_threads(-5);
  EXPECT_EQ(get_num_threads(), 1);
  set_num_threads(before);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TRANSFORMERS_TEST_UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TRANSFORMERS_TEST_UNDER_SANITIZER 1
#endif
#endif

// In a fresh process the default pool (physical cores) never exceeds the CPUs the process may use.
TEST(ThreadLimitsDeathTest, DefaultCountFitsTheAffinityMask) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::exit(get_num_threads() <= max_num_threads() ? 0 : 1), ::testing::ExitedWithCode(0), "");
}

// The bytes of address space the process uses now (/proc/self/statm, in pages).
long long address_space_bytes() {
  std::ifstream in("/proc/self/statm");
  long long pages = 0;
  in >> pages;
  return pages * 4096;
}

// Run in a fresh process whose address space is capped a few MB above what it uses: no new thread
// can map its stack. set_num_threads must throw EnvironmentError and leave a one-thread pool that
// works. Exit code 0 when it did.
[[noreturn]] void start_pool_under_address_limit() {
  alarm(60);           // a hang is a failure (SIGALRM), not a ctest timeout ten minutes later
  set_num_threads(1);  // the pool exists before the limit
  const rlim_t cap = rlim_t(address_space_bytes()) + (rlim_t(4) << 20);
  const rlimit lim{cap, cap};
  if (setrlimit(RLIMIT_AS, &lim) != 0) std::exit(3);
  int code = 1;
  try {
    set_num_threads(std::max(4, kMaxThreadsPerCpu * max_num_threads()));
  } catch (const EnvironmentError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    code = get_num_threads() == 1 ? 0 : 2;
  }
  int64_t n = 0;
  parallel_for(0, 100, 1, [&](int64_t b, int64_t e) { n += e - b; });
  std::exit(code == 0 && n == 100 ? 0 : (code == 0 ? 4 : code));
}

TEST(ThreadLimitsDeathTest, APoolThatCannotStartFailsCleanly) {
#ifdef TRANSFORMERS_TEST_UNDER_SANITIZER
  GTEST_SKIP() << "sanitizer runtimes reserve terabytes of address space; RLIMIT_AS cannot be applied under them";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // The child is this binary run again with this environment. One thread for OpenBLAS and for the
  // default pool, so that no worker started before the limit is still mapping its buffers when the
  // limit applies: OpenBLAS's workers retry a failed 128 MB mmap forever and exit() then waits for
  // them (seen on a loaded machine, 2 hangs in 60 runs; gdb showed blas_memory_alloc in mmap).
  setenv("OPENBLAS_NUM_THREADS", "1", 1);
  setenv("TRANSFORMERS_NUM_THREADS", "1", 1);
  EXPECT_EXIT(start_pool_under_address_limit(), ::testing::ExitedWithCode(0), "cannot start a pool of");
#endif
}

}  // namespace
}  // namespace transformers
