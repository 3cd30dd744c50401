#pragma once
// One global thread pool for the whole library. `set_num_threads(n)` also sets OpenBLAS's count so
// that BLAS calls and our kernels never run more threads than asked (no oversubscription).
#include <cstdint>
#include <functional>

namespace transformers {

// Default: the number of physical cores (hardware threads divided by SMT siblings when known).
int get_num_threads();
// Clamped to [1, kMaxThreadsPerCpu * max_num_threads()]: a little oversubscription stays possible
// (tests split work unevenly over 3 threads on 2 CPUs), thousands of threads do not. EnvironmentError
// when a worker thread cannot start (the pool is then left with one thread).
void set_num_threads(int n);
inline constexpr int kMaxThreadsPerCpu = 4;
// The CPUs this process may run on (sched_getaffinity): the default thread count never exceeds it,
// nor does the CLI's --threads.
int max_num_threads();
int physical_core_count();

// Splits [begin, end) into chunks of at least `grain` iterations and runs fn(chunk_begin, chunk_end)
// on the pool (the caller thread takes part). Runs inline when the range is small, when only one
// thread is set, or when called from inside another parallel_for (no nested parallelism).
void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace transformers
