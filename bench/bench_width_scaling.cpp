// How a uniformly pruned student's latency speed-up compares with its MAC cut as the teacher grows wider: each demo
// generator's architecture built at its own widths times 1, 2 and 4 (random weights: the direct routes' time does not
// depend on the values), pruned by L1 at 50% and 70% sparsity as `ganstudio-cli prune` would, teacher and student
// timed in one run as a run's report times them (jobs::measure_latency_ms: alternate blocks of passes, one thread).
// Per-channel work (StyleGAN2's blur, ToRGB and activation, the planes' layout) grows with the width and the
// convolutions with its square, so the share a cut removes, and the speed-up per MAC cut, grow with the width (issue
// 6's target: speed-up / cut at least 0.8). --stylegan2-width W builds StyleGAN2 with every layer W wide before the
// factors apply, the shape upstream keeps up to 32 px; --archs picks the demos.
// usage: bench_width_scaling [--repeats N] [--rounds N] [--batch B] [--factors F,F,...] [--stylegan2-width W]
// [--archs stylegan2,dcgan,pix2pix]
#include "bench/python_reference.h"
#include "core/jobs/report.h"
#include "core/models/channel_ops.h"
#include "core/models/registry.h"
#include "core/prune/scorer.h"
#include "core/prune/selection.h"
#include "core/runtime.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

using namespace gs;

namespace {

// The demo's generator options with every channel group's width (and StyleGAN2's fan-in, which follows the widths)
// multiplied by `factor`.
nlohmann::json widened(nlohmann::json options, int64_t factor) {
  for (const char* key : {"widths", "fan_in"})
    if (options.contains(key))
      for (auto& [name, width] : options[key].items()) width = width.get<int64_t>() * factor;
  return options;
}

// "64/32": the widest and narrowest channel group.
std::string width_range(const models::Generator& g) {
  int64_t lo = INT64_MAX, hi = 0;
  for (const auto& group : g.channel_groups()) lo = std::min(lo, group.width), hi = std::max(hi, group.width);
  return std::to_string(hi) + (lo == hi ? "" : "/" + std::to_string(lo));
}

// StyleGAN2's options with every layer (and its fan-in) `width` wide.
nlohmann::json constant_width(nlohmann::json options, int64_t width) {
  for (const char* key : {"widths", "fan_in"})
    if (options.contains(key))
      for (auto& [name, w] : options[key].items()) w = width;
  return options;
}

std::vector<int64_t> parse_factors(const std::string& text) {
  std::vector<int64_t> out;
  for (const std::string& item : bench::split_list(text))
    if (const int64_t f = std::atoll(item.c_str()); f > 0) out.push_back(f);
  return out;
}

} // namespace

int main(int argc, char** argv) {
  int repeats = 30, rounds = 3, batch = 16;
  std::vector<int64_t> factors{1, 2, 4};
  int64_t stylegan2_width = 0;
  std::vector<std::string> archs{"stylegan2", "dcgan", "pix2pix"};
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--factors" && i + 1 < argc)
      factors = parse_factors(argv[++i]);
    else if (std::string(argv[i]) == "--stylegan2-width" && i + 1 < argc)
      stylegan2_width = std::atoll(argv[++i]);
    else if (std::string(argv[i]) == "--archs" && i + 1 < argc)
      archs = bench::split_list(argv[++i]);
    else
      rest.push_back(argv[i]);
  if (!bench::repeat_options(static_cast<int>(rest.size()), rest.data(), repeats, rounds, batch) || factors.empty() ||
      stylegan2_width < 0) {
    std::fprintf(stderr, "       [--factors F,F,...] (positive widths multipliers, default 1,2,4) [--stylegan2-width W]"
                         " [--archs stylegan2,dcgan,pix2pix]\n");
    return 2;
  }
  init_runtime();
  set_threads(1);
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  std::printf("uniform L1 students of the demo architectures at wider widths, batch %d, one thread, median of %d "
              "rounds' medians of %d passes each (blocks of teacher and student alternating), ms; MACs counted as "
              "the evaluation table counts them (transposed convolutions by output)\n\n",
              batch, rounds, repeats);
  std::printf("| architecture | widths | sparsity | student widths | MAC cut | teacher | student | speed-up | "
              "speed-up / cut |\n|---|---|---:|---|---:|---:|---:|---:|---:|\n");
  for (const char* demo : {"stylegan2-fashion-mnist", "dcgan-fashion-mnist", "pix2pix-emoji-edges"}) {
    const models::Model m = models::load_model(std::string(GANSTUDIO_SOURCE_DIR) + "/resources/demo/" + demo + ".pt");
    if (std::find(archs.begin(), archs.end(), models::arch_name(m.arch)) == archs.end()) continue;
    nlohmann::json options = m.generator->options();
    if (m.arch == models::Arch::StyleGAN2 && stylegan2_width > 0) options = constant_width(options, stylegan2_width);
    for (const int64_t f : factors) {
      models::Model teacher = models::build_model(m.arch, widened(options, f));
      models::Generator& t = *teacher.generator;
      t.module().eval();
      const prune::ChannelScores scores = prune::score("l1", t, {}).scores;
      for (const double sparsity : {0.5, 0.7}) {
        prune::Selection selection;
        selection.sparsity = sparsity;
        const std::unique_ptr<models::Generator> s =
            models::slice(t, prune::select_channels(t.channel_groups(), scores, selection));
        s->module().eval();
        const double cut = static_cast<double>(t.cost().macs) / static_cast<double>(s->cost().macs);
        std::vector<double> ts, ss;
        for (int r = 0; r < rounds; ++r) {
          const jobs::Latency l = jobs::measure_latency_ms(t, *s, batch, repeats);
          ts.push_back(l.a), ss.push_back(l.b);
        }
        const double tm = bench::median(ts), sm = bench::median(ss);
        std::printf("| %s | %s (×%ld) | %.0f%% | %s | %.2fx | %s | %s | %.2fx | %.2f |\n", models::arch_name(m.arch),
                    width_range(t).c_str(), static_cast<long>(f), sparsity * 100, width_range(*s).c_str(), cut,
                    bench::fixed_ms(tm).c_str(), bench::fixed_ms(sm).c_str(), tm / sm, tm / sm / cut);
        std::fflush(stdout);
      }
    }
  }
}
