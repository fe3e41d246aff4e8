// report.md for a finished compress run: a table of costs, measured latency and metrics, and PNG plots.
#pragma once
#include "core/jobs/compress_config.h"
#include "core/jobs/run_dir.h"
#include "core/models/registry.h"
#include "core/prune/plan.h"

namespace gs::jobs {

// Median forward latencies in milliseconds of two generators on the same inputs, each on the device its weights are
// on: after warm-up runs, in alternate blocks of passes (at least `repeats` timed passes each), so that both see the
// same machine state, and each block's first pass untimed, so that each is timed with its own data in the caches, as
// a generator that runs on its own is.
std::pair<double, double> measure_latency_ms(models::Generator& a, models::Generator& b, int64_t batch, int repeats);

// Writes report.md, losses.png and metrics.png (when there are evaluations) from events.jsonl and the two models.
void write_report(RunDirectory& run, const CompressConfig& config, models::Model& teacher, models::Model& student,
                  const prune::Plan& plan);

} // namespace gs::jobs
