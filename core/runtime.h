// Process-wide engine settings every front end (CLI, GUI, benchmarks) applies once at start-up.
#pragma once

namespace gs {

// Uses every core for intra-op parallelism unless OMP_NUM_THREADS says otherwise. Debian's LibTorch otherwise
// starts with a single OpenMP thread on some machines. Returns the thread count in effect.
int init_threads();

} // namespace gs
