// Metric speed and peak memory, ours beside the NumPy/SciPy references on the same features in the same run.
// usage: bench_metrics [--n 10000,50000] [--dims 2048] [--metrics fid,kid,prdc] [--no-reference]
// Each measurement runs in its own child process so its peak resident memory (ru_maxrss) is its own.
#include "bench/python_reference.h"
#include "core/io/npy.h"
#include "core/metrics/fid.h"
#include "core/metrics/kid.h"
#include "core/metrics/prdc.h"
#include "core/runtime.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <spawn.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;
using namespace gs;

namespace {

struct Measurement {
  double seconds = -1;
  double peak_mib = -1;
  std::string value;
};

// Runs argv, returns its stdout's last line and fills peak memory from wait4's rusage.
Measurement run_child(const std::vector<std::string>& argv) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipefd[0]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  Measurement m;
  if (posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) return m;
  close(pipefd[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(pipefd[0]);
  int status = 0;
  struct rusage usage {};
  wait4(pid, &status, 0, &usage);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return m;
  auto j = nlohmann::json::parse(out.substr(out.rfind('{')));
  m.seconds = j["seconds"];
  m.peak_mib = usage.ru_maxrss / 1024.0;
  j.erase("seconds");
  m.value = j.dump();
  return m;
}

// Child mode: compute one metric of ours and print its value and time as JSON.
int run_one(const std::string& metric, const std::string& a_path, const std::string& b_path) {
  // read_npy maps the file; copy the features into memory first so the timer does not count page faults, as the
  // reference's timer starts after np.load.
  const at::Tensor a = io::read_npy(a_path).clone(), b = io::read_npy(b_path).clone();
  const auto t0 = std::chrono::steady_clock::now();
  nlohmann::json out;
  if (metric == "fid") {
    metrics::FeatureStats sa, sb;
    for (int64_t i = 0; i < a.size(0); i += 1000) sa.add(a.narrow(0, i, std::min<int64_t>(1000, a.size(0) - i)));
    for (int64_t i = 0; i < b.size(0); i += 1000) sb.add(b.narrow(0, i, std::min<int64_t>(1000, b.size(0) - i)));
    out["fd"] = metrics::frechet_distance(sa, sb);
  } else if (metric == "kid") {
    out["kid"] = metrics::kernel_inception_distance(a, b).mean;
  } else {
    auto r = metrics::precision_recall_density_coverage(a, b);
    out = {{"precision", r.precision}, {"recall", r.recall}, {"density", r.density}, {"coverage", r.coverage}};
  }
  out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  gs::init_runtime();
  if (args.size() == 4 && args[0] == "--one") return run_one(args[1], args[2], args[3]);
  std::vector<int64_t> sizes = {10000};
  int64_t dims = 2048;
  std::vector<std::string> metric_names = {"fid", "kid", "prdc"};
  bool reference = true;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--n" && i + 1 < args.size()) {
      sizes.clear();
      for (const auto& s : bench::split_list(args[++i])) sizes.push_back(std::stoll(s));
    } else if (args[i] == "--dims" && i + 1 < args.size()) {
      dims = std::stoll(args[++i]);
    } else if (args[i] == "--metrics" && i + 1 < args.size()) {
      metric_names = bench::split_list(args[++i]);
    } else if (args[i] == "--no-reference") {
      reference = false;
    } else {
      std::fprintf(stderr, "usage: bench_metrics [--n 10000,50000] [--dims 2048] [--metrics fid,kid,prdc] "
                           "[--no-reference]\n");
      return 2;
    }
  }
  const std::string self = std::filesystem::canonical("/proc/self/exe").string();
  const std::string script = std::string(GANSTUDIO_SOURCE_DIR) + "/bench/reference_metrics.py";
  const auto dir = std::filesystem::temp_directory_path() / ("ganstudio-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);

  std::printf("threads: torch %d | features: %lld dims, float32, real ~ N(0,1), fake ~ N(0.1,1.2^2)\n\n",
              at::get_num_threads(), static_cast<long long>(dims));
  std::printf("%-6s %7s | %10s %10s | %10s %10s | %8s | values (ours / reference)\n", "metric", "N", "ours s",
              "ours MiB", "ref s", "ref MiB", "speedup");
  for (int64_t n : sizes) {
    torch::manual_seed(0);
    const std::string a = (dir / "real.npy").string(), b = (dir / "fake.npy").string();
    io::write_npy(a, torch::randn({n, dims}));
    io::write_npy(b, torch::randn({n, dims}) * 1.2 + 0.1);
    for (const auto& metric : metric_names) {
      Measurement ours = run_child({self, "--one", metric, a, b});
      Measurement ref;
      if (reference) ref = run_child({GANSTUDIO_PYTHON, script, metric, a, b});
      char speed[32] = "-";
      if (ours.seconds > 0 && ref.seconds > 0) std::snprintf(speed, sizeof speed, "%.2fx", ref.seconds / ours.seconds);
      std::printf("%-6s %7lld | %10.2f %10.0f | %10.2f %10.0f | %8s | %s / %s\n", metric.c_str(),
                  static_cast<long long>(n), ours.seconds, ours.peak_mib, ref.seconds, ref.peak_mib, speed,
                  ours.value.c_str(), ref.value.c_str());
      std::fflush(stdout);
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
