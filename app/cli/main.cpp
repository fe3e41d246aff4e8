// ganstudio-cli: the headless front end of the engine. Errors end with one line on stderr and a non-zero exit.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/log.h"
#include "core/runtime.h"
#include "ganstudio/version.h"

#include <c10/util/Exception.h>

#include <cstring>
#include <iostream>

namespace gs::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      {"info", "show a checkpoint's tensors, totals and records", run_info},
      {"fid", "Frechet distance of two feature sets (.npy)", run_fid},
      {"prdc", "precision, recall, density, coverage of feature sets (.npy)", run_prdc},
      {"generate", "run a generator on latents or images: .npy outputs and PNG grids", run_generate},
      {"pretrain", "train a GAN from scratch (all five architectures) with resumable checkpoints", run_pretrain},
      {"score", "channel importance scores and a pruning plan (scores.json)", run_score},
      {"prune", "remove channels: a physically smaller generator", run_prune},
      {"compress", "score, prune, fine-tune and report into a run directory", run_compress},
      {"report", "rewrite a finished run's report.md, measuring latency again here", run_report},
      {"cache", "decode a dataset once into a uint8 tensor file (for machines without OpenCV)", run_cache},
      {"edges", "a paired edges -> image dataset (Canny) from a folder of images, for pix2pix", run_edges},
      {"eval", "FID / KID / precision / recall / density / coverage of a generator against real images", run_eval},
  };
  return list;
}

} // namespace gs::cli

namespace {

void print_usage(std::ostream& os) {
  os << "usage: ganstudio-cli [--version] [--verbose] <command> [options]\n\n"
        "GAN Compression Studio, headless. Commands:\n";
  for (const auto& c : gs::cli::commands()) {
    std::string name = c.name;
    name.resize(12, ' ');
    os << "  " << name << c.summary << "\n";
  }
  os << "\n'ganstudio-cli <command> --help' describes a command.\n";
}

std::string one_line(std::string s) {
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool verbose = false;
  while (!args.empty() && args.front().rfind("-", 0) == 0) {
    const std::string a = args.front();
    if (a == "--version") {
      std::cout << "ganstudio-cli " << GANSTUDIO_VERSION << "\n";
      return 0;
    }
    if (a == "--help" || a == "-h") {
      print_usage(std::cout);
      return 0;
    }
    if (a != "--verbose" && a != "-v") {
      std::cerr << "ganstudio-cli: unknown option " + a + " (see --help)\n";
      return 2;
    }
    verbose = true;
    args.erase(args.begin());
  }
  if (args.empty()) {
    print_usage(std::cerr);
    return 2;
  }
  gs::log::log_to_stderr(verbose ? spdlog::level::info : spdlog::level::warn);
  gs::init_runtime();

  const std::string name = args.front();
  args.erase(args.begin());
  for (const auto& c : gs::cli::commands()) {
    if (name != c.name) continue;
    try {
      return c.run(args);
    } catch (const gs::cli::UsageError& e) {
      std::cerr << "ganstudio-cli " + name + ": " + e.what() + "\n";
      return 2;
    } catch (const c10::Error& e) {
      std::cerr << "ganstudio-cli " + name + ": " + one_line(e.what_without_backtrace()) + "\n";
      return 1;
    } catch (const std::exception& e) {
      std::cerr << "ganstudio-cli " + name + ": " + one_line(e.what()) + "\n";
      return 1;
    }
  }
  std::cerr << "ganstudio-cli: unknown command '" + name + "' (see --help)\n";
  return 2;
}
