// ganstudio-cli report: rewrites a finished compress run's report.md (and its plots) with latency measured now, here.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/jobs/report.h"

#include <filesystem>
#include <iostream>

namespace gs::cli {

int run_report(const std::vector<std::string>& argv) {
  Args args("report",
            "Rewrites report.md of a finished compress run from its config.json, events.jsonl, scores.json, the\n"
            "teacher the config names and student.pt, measuring teacher and student latency again on this machine\n"
            "(alternately, in blocks of passes: 30 each at batch 1, 9-30 at batch 16 and 9 at batch 64, one thread on\n"
            "the CPU; the median and the fastest pass): for a run measured while the machine was busy, or copied to\n"
            "the machine it will run on.",
            {}, {{"--run", "DIR", "the run directory"}});
  if (!args.parse(argv)) return 0;
  const std::string dir = args.required("--run");
  for (const char* needed : {"config.json", "student.pt", "scores.json", "events.jsonl"})
    if (!std::filesystem::exists(std::filesystem::path(dir) / needed))
      throw std::runtime_error(dir + ": not a finished compress run (no " + needed + ")");
  const jobs::CompressConfig config = jobs::load_config((std::filesystem::path(dir) / "config.json").string());
  models::Model teacher = models::load_model(config.model);
  models::Model student = models::load_model((std::filesystem::path(dir) / "student.pt").string());
  const prune::Plan plan = prune::load_plan((std::filesystem::path(dir) / "scores.json").string());
  jobs::RunDirectory run(dir);
  run.open();
  jobs::write_report(run, config, teacher, student, plan);
  std::cout << "report: " << run.path("report.md") << "\n";
  return 0;
}

} // namespace gs::cli
