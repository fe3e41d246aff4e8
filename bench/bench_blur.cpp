// StyleGAN2's up-sampling blur of a transposed convolution's direct sums (core/models/transposed_direct.h): the sums
// interleaved into padded planes and blurred (fir_direct from DirectSums::write_plane) against the blur summed straight
// from the phases (core/models/phase_blur.h), timed alternately in one run, the sums computed once beforehand.
// usage: bench_blur [--repeats N] [--rounds N] [--batch B]
// The table gives the median over rounds of each form's median of N runs; speed-up = interleaved / phases.
#include "bench/python_reference.h"
#include "core/models/phase_blur.h"
#include "core/models/stylegan2_kernels.h"
#include "core/models/transposed_direct.h"
#include "core/runtime.h"

#include <torch/torch.h>

#include <cstdio>
#include <string>
#include <vector>

using namespace gs;

namespace {

struct Shape {
  std::string label;
  int64_t in, out, size; // size: the input's side; the blurred output's is twice that
};

// The up-sampling layers (convs.0, convs.2, convs.4: to 8, 16 and 32 px) of the StyleGAN2 demo and its uniform 50%
// and 70% students (docs/compression.md).
std::vector<Shape> shapes() {
  std::vector<Shape> s;
  const std::vector<std::pair<std::string, std::vector<std::pair<int64_t, int64_t>>>> demo{
      {"StyleGAN2 demo", {{64, 64}, {64, 32}, {32, 32}}},
      {"StyleGAN2 demo 50%", {{32, 32}, {32, 16}, {16, 16}}},
      {"StyleGAN2 demo 70%", {{20, 20}, {20, 10}, {10, 10}}}};
  for (const auto& [label, layers] : demo)
    for (size_t i = 0; i < layers.size(); ++i) s.push_back({label, layers[i].first, layers[i].second, int64_t{4} << i});
  return s;
}

} // namespace

int main(int argc, char** argv) {
  int repeats = 50, rounds = 3, batch = 16;
  if (!bench::repeat_options(argc, argv, repeats, rounds, batch)) return 2;
  init_runtime();
  set_threads(1);
  if (!models::direct::lanes()) {
    std::fprintf(stderr, "bench_blur: the direct routes need AVX2 and FMA\n");
    return 1;
  }
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  // Upstream's [1, 3, 3, 1] blur after a 3 × 3 transposed convolution with output padding 1: pads 1 and 0.
  const at::Tensor taps = torch::tensor({1.0f, 3.0f, 3.0f, 1.0f});
  const at::Tensor kernel = torch::outer(taps, taps) / taps.sum().pow(2);
  std::printf("forward, batch %d, 1 thread, median of %d rounds × %d runs, ms\n\n", batch, rounds, repeats);
  std::printf("| layers | in → out, output | interleaved | phases | speed-up |\n");
  std::printf("|---|---|---:|---:|---:|\n");
  for (const Shape& s : shapes()) {
    torch::nn::ConvTranspose2d up(
        torch::nn::ConvTranspose2dOptions(s.in, s.out, 3).stride(2).output_padding(1).bias(false));
    const at::Tensor x = torch::randn({batch, s.in, s.size, s.size});
    const models::DirectSums sums = models::transposed_direct_sums(*up, {{x}});
    const std::vector<int64_t> sizes = sums.sizes();
    const models::PlaneSource planes = [&](int64_t item, float* dst, int64_t stride) {
      sums.write_plane(item, dst, stride);
    };
    const models::PhaseSource phases = [&](int64_t item) { return sums.phase_planes(item); };
    const auto [a, b] = bench::alternated_ms(
        rounds, repeats, [&] { models::fir_direct(planes, sizes, x.options(), kernel, 1, 0); },
        [&] { models::phase_blur(phases, sizes, x.options(), kernel, 1, 0); });
    std::printf("| %s | %ld → %ld, %ld×%ld | %s | %s | %.2f |\n", s.label.c_str(), static_cast<long>(s.in),
                static_cast<long>(s.out), static_cast<long>(sizes[2] - 2), static_cast<long>(sizes[3] - 2),
                bench::fixed_ms(a).c_str(), bench::fixed_ms(b).c_str(), a / b);
  }
}
