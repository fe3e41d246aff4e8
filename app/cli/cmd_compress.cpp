// ganstudio-cli compress: the whole job (score, prune, fine-tune, export, report) into a run directory.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/launcher.h"
#include "app/cli/progress.h"
#include "core/dist/process_group.h"
#include "core/jobs/compress_job.h"
#include "core/log.h"
#include "core/train/train_common.h"

#include <filesystem>
#include <iostream>
#include <sstream>

namespace gs::cli {

int run_compress(const std::vector<std::string>& argv) {
  Args args(
      "compress",
      "Runs a compression job from a config file and writes the run directory: config.json, events.jsonl,\n"
      "scores.json, samples/step-N.png (teacher rows above student rows), checkpoints/state.pt, student.pt\n"
      "(loadable by info and generate), report.md with losses.png / fd.png / prdc.png. Ctrl-C stops after a\n"
      "checkpoint; --resume continues (also a killed run) and ends with the same weights in --deterministic\n"
      "mode. Config keys and defaults: docs/cli.md; `--print-config` shows a complete one.\n"
      "Data-parallel: --nproc N runs N processes here (Gloo over loopback); on several hosts start one process\n"
      "per rank with RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (and LOCAL_RANK) set, or the matching flags.\n"
      "The batch is split evenly over the processes; rank 0 alone writes the run directory (docs/distributed.md).",
      {},
      {{"--config", "RUN.json", "the job (required unless resuming, which reads OUT/config.json)"},
       {"--out", "DIR", "the run directory (must not hold a run unless --resume)"},
       {"--resume", "", "continue the run in --out from its last checkpoint"},
       {"--device", "D", "auto, cpu or cuda (overrides the config)"},
       {"--print-config", "", "print the resolved config as JSON and exit"},
       {"--nproc", "N", "run N data-parallel processes on this host (default 1)"},
       {"--world-size", "N", "processes in a multi-host job (default $WORLD_SIZE, else 1)"},
       {"--rank", "R", "this process's rank, 0..N-1 (default $RANK)"},
       {"--master-addr", "HOST", "where rank 0 listens (default $MASTER_ADDR, else 127.0.0.1)"},
       {"--master-port", "PORT", "rank 0's rendezvous port (default $MASTER_PORT, else 29500; free with --nproc)"},
       {"--dist-timeout", "S", "seconds a process waits for the others before giving up (default 300)"}});
  if (!args.parse(argv)) return 0;
  dist::Launch launch = dist::launch_from_environment();
  launch.world = static_cast<int>(args.integer("--world-size", launch.world, 1));
  launch.rank = static_cast<int>(args.integer("--rank", launch.rank, 0));
  launch.master_addr = args.value("--master-addr").value_or(launch.master_addr);
  launch.master_port = static_cast<int>(args.integer("--master-port", launch.master_port, 1));
  launch.timeout = std::chrono::seconds(args.integer("--dist-timeout", 300, 1));
  const int nproc = static_cast<int>(args.integer("--nproc", 1, 1));
  if (nproc > 1 && launch.world > 1)
    throw UsageError("--nproc starts a job of its own; it cannot run inside one of " + std::to_string(launch.world) +
                     " processes");
  dist::check_launch(launch);
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

  if (nproc > 1) {
    std::vector<std::string> child{"compress"};
    for (size_t i = 0; i < argv.size(); ++i) {
      if (argv[i] == "--nproc" || argv[i] == "--master-port" || argv[i] == "--dist-timeout")
        ++i;
      else
        child.push_back(argv[i]);
    }
    child.push_back("--dist-timeout");
    child.push_back(std::to_string(launch.timeout.count()));
    const int port = args.value("--master-port") ? launch.master_port : 0;
    return launch_local(nproc, child, port, launch.timeout + std::chrono::seconds(10));
  }

  std::unique_ptr<dist::Group> group;
  if (launch.world > 1) {
    group = dist::Group::connect(launch, train::pick_device(config.device, config.deterministic));
    if (!group->leader()) log::log_to_stderr(spdlog::level::warn);
  }
  const bool show = !group || group->leader();
  std::unique_ptr<Progress> progress;
  std::string current;
  jobs::JobCallbacks cb;
  cb.group = group.get();
  cb.on_progress = [&](const std::string& stage, int64_t done, int64_t total) {
    if (!show) return;
    if (stage != current) {
      if (progress) progress->finish();
      progress = std::make_unique<Progress>(stage, total);
      current = stage;
    }
    if (total != progress->total()) progress->set_total(total);
    progress->update(done);
  };
  cb.on_event = [&](const nlohmann::json& e) {
    if (e.value("kind", "") != "eval") return;
    if (progress) progress->clear_line();
    const auto& l = e["labels"];
    std::ostringstream line; // written at once: other ranks' messages share this stderr
    line << e.value("model", "") << " at step " << e.value("step", 0) << ": " << l.value("fd", "fd") << " "
         << e.value("fd", 0.0) << ", precision " << e.value("precision", 0.0) << ", recall " << e.value("recall", 0.0)
         << ", density " << e.value("density", 0.0) << ", coverage " << e.value("coverage", 0.0) << "\n";
    std::cerr << line.str();
  };
  cb.abort = interrupt_flag();
  jobs::JobResult r;
  try {
    r = jobs::run_compress(config, out, resume, cb);
  } catch (const std::exception& e) {
    if (!group) throw;
    throw std::runtime_error("rank " + std::to_string(group->rank()) + ": " + e.what());
  }
  if (progress) progress->finish();
  if (!show) return r.cancelled ? 130 : 0;
  if (r.cancelled) {
    std::cout << "stopped after " << r.steps_done << " steps; `ganstudio-cli compress --out " << out
              << " --resume` continues\n";
    return 130;
  }
  std::cout << "done: " << out << "/student.pt, report " << out << "/report.md\n";
  return 0;
}

} // namespace gs::cli
