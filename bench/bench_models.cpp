// Generator speed, ours beside the same modules in Debian's python3-torch, in one run with the same thread count.
// usage: bench_models [--repeats N] [--threads N] [--no-reference] [--only TEXT] [--profile TRACE.json]
// --profile: one more forward pass of the first case selected, under LibTorch's profiler, as a Chrome trace.
// forward: eval mode, no grad; median over 3 rounds, each a warm-up plus N timed runs of ours and then the same of
// Python's. train step: train mode, forward + L1 loss to a fixed target + backward + Adam step (the generator's share
// of a fine-tuning step). ratio = Python time / ours (>= 1: we are at least as fast).
#include "bench/python_reference.h"
#include "core/models/registry.h"
#include "core/runtime.h"

#include <nlohmann/json.hpp>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace gs;

namespace {

struct Case {
  models::Arch arch;
  std::string label;
  nlohmann::json options; // ours
  nlohmann::json python;  // what reference_models.py needs to build the same module
  int64_t batch;
};

std::vector<Case> cases() {
  const nlohmann::json dcgan{{"nz", 100}, {"ngf", 64}, {"nc", 3}, {"size", 64}};
  const nlohmann::json ssd{{"z_dim", 100}, {"ngf", 64}, {"nc", 3}, {"size", 64}};
  const nlohmann::json sg_channels{{"4", 512}, {"8", 512}, {"16", 512}, {"32", 512}, {"64", 256}};
  const nlohmann::json sg{{"size", 64}, {"style_dim", 512}, {"n_mlp", 8}, {"channel_multiplier", 1}};
  nlohmann::json sg_py = sg;
  sg_py["channels"] = sg_channels;
  const nlohmann::json unet{{"num_downs", 7}, {"ngf", 64}, {"norm", "batch"}, {"load_size", 128}};
  const nlohmann::json resnet{{"n_blocks", 6}, {"ngf", 64}, {"norm", "instance"}, {"load_size", 128}};
  std::vector<Case> out;
  for (int64_t b : {1, 16}) out.push_back({models::Arch::DCGAN, "dcgan 64px ngf 64", dcgan, dcgan, b});
  for (int64_t b : {1, 16}) out.push_back({models::Arch::SSD, "ssd 64px", ssd, ssd, b});
  for (int64_t b : {1, 4}) out.push_back({models::Arch::StyleGAN2, "stylegan2 64px cm 1", sg, sg_py, b});
  for (int64_t b : {1, 4}) out.push_back({models::Arch::Pix2Pix, "pix2pix unet_128", unet, unet, b});
  for (int64_t b : {1, 2}) out.push_back({models::Arch::CycleGAN, "cyclegan resnet_6 128px", resnet, resnet, b});
  return out;
}

// Debian's python3-torch running reference_models.py with the same cases, asked for one timing at a time.
std::unique_ptr<bench::PythonReference> start_reference(const std::vector<Case>& list, int threads) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& c : list)
    j.push_back({{"arch", models::arch_name(c.arch)}, {"python", c.python}, {"batch", c.batch}});
  return std::make_unique<bench::PythonReference>("reference_models.py",
                                                  "'" + j.dump() + "' " + std::to_string(threads));
}

// The case's generator, seeded, and a batch of inputs for it.
std::pair<models::Model, at::Tensor> build(const Case& c) {
  torch::manual_seed(0);
  models::Model m = models::build_model(c.arch, c.options);
  std::vector<int64_t> shape{c.batch};
  for (int64_t d : m.generator->input_spec().shape) shape.push_back(d);
  at::Tensor x = torch::randn(shape);
  return {std::move(m), x};
}

constexpr int kRounds = 3;

struct Timings {
  double forward = NAN, train = NAN, py_forward = NAN, py_train = NAN;
};

// Median forward and train-step times, ours and (with `ref`) Python's.
Timings measure(const Case& c, size_t index, int repeats, bench::PythonReference* ref) {
  auto built = build(c); // no structured binding: the lambdas below capture the input
  models::Generator& g = *built.first.generator;
  const at::Tensor x = built.second;
  if (ref) ref->ask("build " + std::to_string(index));
  torch::optim::Adam opt(g.module().parameters(), torch::optim::AdamOptions(1e-4));
  at::Tensor target;
  const auto forward = [&] {
    torch::NoGradGuard no_grad;
    g.forward(x);
  };
  const auto train = [&] {
    at::Tensor y = g.forward(x);
    if (!target.defined()) target = torch::zeros_like(y);
    at::Tensor loss = (y - target).abs().mean();
    opt.zero_grad();
    loss.backward();
    opt.step();
  };
  // Rounds of a warm-up plus `repeats` timed runs on each side in turn: load changes weigh on both sides, and
  // neither side's runs start cold from the other's (alternating single runs slowed Python's DCGAN forward 2x).
  const auto alternate = [&](const auto& fn, const std::string& command, double& mine, double& theirs) {
    std::vector<double> a, b;
    for (int round = 0; round < kRounds; ++round) {
      fn();
      for (int i = 0; i < repeats; ++i) a.push_back(bench::time_ms(fn));
      if (!ref) continue;
      ref->ask(command);
      for (int i = 0; i < repeats; ++i) b.push_back(ref->ask(command));
    }
    mine = bench::median(a);
    if (ref) theirs = bench::median(b);
  };
  Timings t;
  g.module().eval();
  alternate(forward, "forward", t.forward, t.py_forward);
  g.module().train();
  alternate(train, "train", t.train, t.py_train);
  return t;
}

void profile_forward(const Case& c, const std::string& path) {
  auto built = build(c); // no structured binding: the lambdas below capture the input
  models::Generator& g = *built.first.generator;
  const at::Tensor x = built.second;
  g.module().eval();
  torch::NoGradGuard no_grad;
  g.forward(x);
  torch::autograd::profiler::RecordProfile guard(path);
  g.forward(x);
}

} // namespace

int main(int argc, char** argv) {
  int repeats = 5, threads = gs::init_runtime();
  bool with_reference = true;
  std::string only;    // run only the cases whose label contains it
  std::string profile; // Chrome trace of one forward pass of the first case
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc)
      repeats = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--no-reference"))
      with_reference = false;
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc)
      only = argv[++i];
    else if (!std::strcmp(argv[i], "--profile") && i + 1 < argc)
      profile = argv[++i];
    else {
      std::fprintf(stderr, "usage: bench_models [--repeats N] [--threads N] [--no-reference] [--only TEXT] "
                           "[--profile TRACE.json]\n");
      return 2;
    }
  }
  gs::set_threads(threads);
  std::vector<Case> list;
  for (const auto& c : cases())
    if (c.label.find(only) != std::string::npos) list.push_back(c);
  if (!profile.empty() && !list.empty()) profile_forward(list.front(), profile);
  std::unique_ptr<bench::PythonReference> ref;
  if (with_reference) ref = start_reference(list, threads);
  std::vector<Timings> t;
  for (size_t i = 0; i < list.size(); ++i) t.push_back(measure(list[i], i, repeats, ref.get()));
  std::printf("threads %d, median of %d rounds x %d runs, alternating with Python's by round\n", threads, kRounds,
              repeats);
  std::printf("ratio = Python / C++ (>= 1: C++ at least as fast)\n\n");
  std::printf("%-26s %5s | %10s %10s %6s | %10s %10s %6s\n", "model", "batch", "fwd C++ ms", "fwd Py ms", "ratio",
              "step C++", "step Py", "ratio");
  for (size_t i = 0; i < list.size(); ++i)
    std::printf("%-26s %5lld | %10.1f %10.1f %6.2f | %10.1f %10.1f %6.2f\n", list[i].label.c_str(),
                static_cast<long long>(list[i].batch), t[i].forward, t[i].py_forward, t[i].py_forward / t[i].forward,
                t[i].train, t[i].py_train, t[i].py_train / t[i].train);
  return 0;
}
