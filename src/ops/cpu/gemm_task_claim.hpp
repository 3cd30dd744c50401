#pragma once
// When a thread of the float32 GEMM may claim its next task before finishing the current one
// (issue 27). Claiming at the start of a task's last k block lets the panel prefetch fetch the next
// task's first panels during that block; but when K fits one k block (K <= kKC) that start is the
// task's start, so the caller, first in, claimed task 1 of a two-task product (N <= 480 at AVX-512)
// before the woken worker could, and ran it alone (1024 x 384 x 128: two threads 924-1220 us, one
// 920-972; with this rule 534-581 in most runs: docs/benchmarks.md, "Why two threads looked slower
// for `embed`"). So a thread claims ahead only once every thread of the job holds a task; before
// that it claims when its task is done.
#include <cstdint>

namespace transformers::ops::detail {

// `claimed`: the tasks handed out so far (the shared counter's value); `threads`: the job's threads.
// static: included by the per-ISA kernel files, so no weak symbol built with their flags.
static constexpr bool may_claim_ahead(int64_t claimed, int64_t threads) { return claimed >= threads; }

}  // namespace transformers::ops::detail
