// A small fixed pool of worker threads for the kernels.
//
// Determinism: callers split work into tasks whose results never depend on which thread runs
// them or on how many threads there are (each task writes its own slice of the output, or its
// own partial that the caller later adds up in task order). So a run is bit-identical with 1
// or N threads.
#pragma once
#include <functional>

namespace kit {

using TaskFn = std::function<void(int task)>;

// Runs fn(0..ntasks-1) on the pool plus the calling thread; returns when all are done.
void parallel_for(int ntasks, const TaskFn& fn);

// Sets the number of threads (including the caller); 1 runs everything inline.
void set_num_threads(int n);
int num_threads();

}  // namespace kit
