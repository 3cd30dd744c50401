#pragma once
// Coarse tasks on the thread pool (transformers/core/parallel.hpp): whole independent pieces of
// work, one per thread at a time, instead of each op split over the threads.
#include <cstdint>
#include <functional>

namespace transformers {

// Runs fn(task) for every task in [0, n), each task whole on one thread of the pool: a thread takes
// the next task when it has finished its last (so tasks of unequal cost balance), and the
// parallel_for calls inside a task run inline on that thread. For work made of a few large
// independent pieces that would otherwise be split op by op (embed's batches: there every op of a
// batch's forward wakes and waits for the pool, and the serial ops leave the other cores idle).
// Unlike parallel_for it never hands the job to the caller alone after lagging workers (the pool's
// lag policy weighs op-sized jobs; a whole task on each thread is the point here). Runs the tasks
// in order on the caller when one thread is set, n <= 1, or inside another parallel region. The
// first exception a task throws is rethrown once the running tasks end; tasks not started by then
// are skipped. The caller's thread-local state (grad mode, autocast) is not carried into the
// tasks: set it inside fn. Holds the pool until every task is done.
void parallel_tasks(int64_t n, const std::function<void(int64_t)>& fn);

// The threads a parallel_for called here would use: 1 inside a parallel_for chunk or a
// parallel_tasks task (nested calls run inline), else get_num_threads(). Kernels that size their
// split by the thread count use it so that a task of parallel_tasks is not cut for threads it
// will not get.
int available_threads();

}  // namespace transformers
