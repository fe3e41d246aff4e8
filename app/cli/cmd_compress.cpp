// ganstudio-cli compress: the whole job (score, prune, fine-tune, export, report) into a run directory.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/jobs/compress_job.h"

#include <filesystem>
#include <iostream>

namespace gs::cli {

int run_compress(const std::vector<std::string>& argv) {
  Args args("compress",
            "Runs a compression job from a config file and writes the run directory: config.json, events.jsonl,\n"
            "scores.json, samples/step-N.png (teacher rows above student rows), checkpoints/state.pt, student.pt\n"
            "(loadable by info and generate), report.md with losses.png / fd.png / prdc.png. Ctrl-C stops after a\n"
            "checkpoint; --resume continues (also a killed run) and ends with the same weights in --deterministic\n"
            "mode. Config keys and defaults: docs/cli.md; `--print-config` shows a complete one.",
            {},
            {{"--config", "RUN.json", "the job (required unless resuming, which reads OUT/config.json)"},
             {"--out", "DIR", "the run directory (must not hold a run unless --resume)"},
             {"--resume", "", "continue the run in --out from its last checkpoint"},
             {"--device", "D", "auto, cpu or cuda (overrides the config)"},
             {"--print-config", "", "print the resolved config as JSON and exit"}});
  if (!args.parse(argv)) return 0;
  const std::string out = args.required("--out");
  const bool resume = args.flag("--resume");
  jobs::CompressConfig config;
  if (auto path = args.value("--config")) {
    config = jobs::load_config(*path);
  } else if (resume) {
    config = jobs::load_config((std::filesystem::path(out) / "config.json").string());
  } else {
    throw UsageError("missing --config");
  }
  if (auto device = args.value("--device")) config.device = *device;
  if (args.flag("--print-config")) {
    std::cout << jobs::to_json(config).dump(2) << "\n";
    return 0;
  }

  std::unique_ptr<Progress> progress;
  std::string current;
  jobs::JobCallbacks cb;
  cb.on_progress = [&](const std::string& stage, int64_t done, int64_t total) {
    if (stage != current) {
      if (progress) progress->finish();
      progress = std::make_unique<Progress>(stage, total);
      current = stage;
    }
    progress->update(done);
  };
  cb.on_event = [&](const nlohmann::json& e) {
    if (e.value("kind", "") != "eval") return;
    if (progress) progress->clear_line();
    const auto& l = e["labels"];
    std::cerr << e.value("model", "") << " at step " << e.value("step", 0) << ": " << l.value("fd", "fd") << " "
              << e.value("fd", 0.0) << ", precision " << e.value("precision", 0.0) << ", recall "
              << e.value("recall", 0.0) << ", density " << e.value("density", 0.0) << ", coverage "
              << e.value("coverage", 0.0) << "\n";
  };
  cb.abort = interrupt_flag();
  const jobs::JobResult r = jobs::run_compress(config, out, resume, cb);
  if (progress) progress->finish();
  if (r.cancelled) {
    std::cout << "stopped after " << r.steps_done << " steps; `ganstudio-cli compress --out " << out
              << " --resume` continues\n";
    return 130;
  }
  std::cout << "done: " << out << "/student.pt, report " << out << "/report.md\n";
  return 0;
}

} // namespace gs::cli
