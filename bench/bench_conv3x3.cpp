// 3×3 stride-1 convolutions of a modulated input (StyleGAN2's synthesis layers) by LibTorch (oneDNN, after scaling
// the input) and by the direct route (core/models/conv3x3_direct.h, scaling as it lays out the input), timed
// alternately in one run, forward without gradients.
// usage: bench_conv3x3 [--repeats N] [--rounds N] [--batch B]
// The table gives the median over rounds of each route's median of N runs; speed-up = library / direct.
#include "bench/python_reference.h"
#include "core/models/conv3x3_direct.h"
#include "core/runtime.h"

#include <torch/torch.h>

#include <cstdio>
#include <string>
#include <vector>

using namespace gs;

namespace {

struct Shape {
  std::string label;
  int64_t in, out, size;
};

// The 3×3 layers (conv1, convs.1, convs.3, convs.5 at 4, 8, 16, 32 px) of the StyleGAN2 demo, its uniform 50% and
// 70% students and its 70% local-density and coronet students (docs/compression.md), and two other odd channel
// counts.
std::vector<Shape> shapes() {
  std::vector<Shape> s;
  const std::vector<std::pair<std::string, std::vector<std::pair<int64_t, int64_t>>>> demo{
      {"StyleGAN2 demo", {{64, 64}, {64, 64}, {32, 32}, {32, 32}}},
      {"StyleGAN2 demo 50%", {{32, 32}, {32, 32}, {16, 16}, {16, 16}}},
      {"StyleGAN2 demo 70%", {{20, 20}, {20, 20}, {10, 10}, {10, 10}}},
      {"density student 70%", {{64, 64}, {38, 20}, {9, 4}, {2, 3}}},
      {"coronet student 70%", {{64, 46}, {14, 30}, {8, 13}, {5, 13}}}};
  for (const auto& [label, layers] : demo)
    for (size_t i = 0; i < layers.size(); ++i) s.push_back({label, layers[i].first, layers[i].second, int64_t{4} << i});
  s.push_back({"odd widths", 47, 15, 16});
  s.push_back({"odd widths", 27, 19, 32});
  // Multiples of 16 (which oneDNN does not pad) on small and large planes: where each route wins.
  for (const auto& [in, size] : std::vector<std::pair<int64_t, int64_t>>{
           {48, 8}, {64, 8}, {128, 8}, {64, 16}, {128, 16}, {64, 32}, {128, 32}, {32, 64}})
    s.push_back({"multiples of 16", in, in, size});
  return s;
}

} // namespace

int main(int argc, char** argv) {
  int repeats = 20, rounds = 3, batch = 16;
  if (!bench::repeat_options(argc, argv, repeats, rounds, batch)) return 2;
  init_runtime();
  set_threads(1);
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  std::printf("forward, batch %d, 1 thread, median of %d rounds × %d runs, ms\n\n", batch, rounds, repeats);
  std::printf("| layers | in → out, input | library | direct | picked | speed-up |\n");
  std::printf("|---|---|---:|---:|---|---:|\n");
  for (const Shape& s : shapes()) {
    const at::Tensor x = torch::randn({batch, s.in, s.size, s.size}), weight = torch::randn({s.out, s.in, 3, 3});
    const at::Tensor scale = torch::rand({batch, s.in});
    const auto [lib, ours] = bench::alternated_ms(
        rounds, repeats,
        [&] {
          at::conv2d(x * scale.view({batch, s.in, 1, 1}), weight, {}, 1, 1);
        },
        [&] { models::conv3x3_direct(x, weight, {}, scale); });
    std::printf("| %s | %ld → %ld, %ld×%ld | %s | %s | %s | %.2f |\n", s.label.c_str(), static_cast<long>(s.in),
                static_cast<long>(s.out), static_cast<long>(s.size), static_cast<long>(s.size),
                bench::fixed_ms(lib).c_str(), bench::fixed_ms(ours).c_str(),
                models::conv3x3_direct_pays(x, weight) ? "direct" : "library", lib / ours);
  }
}
