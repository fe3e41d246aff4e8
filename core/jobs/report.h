// report.md for a finished compress run: a table of costs, measured latency and metrics, and PNG plots.
#pragma once
#include "core/jobs/compress_config.h"
#include "core/jobs/run_dir.h"
#include "core/models/registry.h"
#include "core/prune/plan.h"

namespace gs::jobs {

// Forward latencies in milliseconds of two generators, a and b: the median pass (typical) and the fastest (the
// machine's speed when nothing else competes for the core: on a shared virtual machine, another tenant on the same
// core made passes about half as slow again for seconds at a time, and medians moved with how long that lasted).
struct Latency {
  double a = 0, b = 0;                 // medians
  double a_fastest = 0, b_fastest = 0; // fastest passes
};

// Latency of a and b on the same inputs, each on the device its weights are on: after warm-up runs, in alternate
// blocks of passes (at least `repeats` timed passes each), so that both see the same machine state, and each block's
// first pass untimed, so that each is timed with its own data in the caches, as a generator that runs on its own is.
Latency measure_latency_ms(models::Generator& a, models::Generator& b, int64_t batch, int repeats);

// Writes report.md, losses.png and metrics.png (when there are evaluations) from events.jsonl and the two models.
void write_report(RunDirectory& run, const CompressConfig& config, models::Model& teacher, models::Model& student,
                  const prune::Plan& plan);

} // namespace gs::jobs
