#!/bin/bash
# quiet_run.sh CMD...: runs CMD with every process at nice 19 stopped (SIGSTOP) and continues them
# afterwards, even when CMD fails. On a shared machine where other work runs at nice 19 this gives a
# measurement the quiet machine it needs: nice alone does not (a worker thread woken on a core
# running a nice-19 task waits out that task's slice; docs/benchmarks.md, "The pool's spin budget").
pids=$(ps -eo pid=,ni= | awk '$2 == 19 {print $1}')
# shellcheck disable=SC2086
kill -STOP $pids 2>/dev/null
trap 'kill -CONT $pids 2>/dev/null' EXIT
"$@"
