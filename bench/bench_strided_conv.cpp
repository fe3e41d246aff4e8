// Stride-2 4×4 convolutions (pix2pix's encoder) by LibTorch (oneDNN), by the direct route and from 2×2 inputs by the
// single-pixel matrix product (core/models/strided_conv.h), timed alternately in one run, forward without gradients,
// and strided_conv(), which takes the route it picks.
// usage: bench_strided_conv [--repeats N] [--rounds N]
// The table gives the median over rounds of each route's median of N runs; speed-up = library / strided_conv().
#include "bench/python_reference.h"
#include "core/models/strided_conv.h"
#include "core/runtime.h"

#include <torch/torch.h>

#include <cstdio>
#include <string>
#include <vector>

using namespace gs;

namespace {

struct Shape {
  std::string label;
  int64_t batch, in, out, size;
};

std::vector<Shape> shapes() {
  std::vector<Shape> s;
  // The pix2pix demo's encoder (64 px, ngf 16), its uniform 50% student and a local-density student, at batch 16.
  const std::vector<std::pair<std::string, std::vector<int64_t>>> demo{
      {"pix2pix demo", {3, 16, 32, 64, 128, 128, 128}},
      {"pix2pix demo 50%", {3, 8, 16, 32, 64, 64, 64}},
      {"density student", {3, 10, 27, 48, 82, 98, 63}},
      {"density student, budget by input", {3, 7, 18, 26, 64, 85, 49}},
      {"coronet student", {3, 13, 28, 17, 4, 5, 1}},
      {"density student at 70%", {3, 11, 12, 16, 39, 59, 54}},
      {"pix2pix demo 70%", {3, 5, 10, 20, 39, 39, 39}}};
  for (const auto& [label, w] : demo)
    for (size_t i = 0; i + 1 < w.size(); ++i) s.push_back({label, 16, w[i], w[i + 1], 64 >> i});
  // pix2pix unet_128 (ngf 64) at batch 1: its first two layers; unet_256's innermost, at batch 1 and 16.
  s.push_back({"pix2pix unet_128", 1, 3, 64, 128});
  s.push_back({"pix2pix unet_128", 1, 64, 128, 64});
  s.push_back({"pix2pix unet_256", 1, 512, 512, 2});
  s.push_back({"pix2pix unet_256", 16, 512, 512, 2});
  return s;
}

} // namespace

int main(int argc, char** argv) {
  int repeats = 20, rounds = 3;
  for (int i = 1; i < argc; ++i)
    if (!bench::int_option(argc, argv, i, "--repeats", repeats) &&
        !bench::int_option(argc, argv, i, "--rounds", rounds)) {
      std::fprintf(stderr, "usage: bench_strided_conv [--repeats N] [--rounds N]\n");
      return 2;
    }
  init_runtime();
  set_threads(1);
  torch::manual_seed(0);
  torch::NoGradGuard no_grad;
  std::printf("forward, 1 thread, median of %d rounds × %d runs, ms\n\n", rounds, repeats);
  std::printf("| layers | batch | in → out, input | library | direct | single pixel | picked | speed-up |\n");
  std::printf("|---|---:|---|---:|---:|---:|---|---:|\n");
  for (const Shape& s : shapes()) {
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(s.in, s.out, 4).stride(2).padding(1).bias(false));
    const at::Tensor x = torch::randn({s.batch, s.in, s.size, s.size});
    const bool direct = models::strided_direct_applies(*conv, x), single = models::single_pixel_applies(*conv, x);
    std::vector<double> library, ours, one, picked;
    for (int r = 0; r < rounds; ++r) {
      std::vector<double> tl, td, ts, tp;
      for (int i = 0; i < repeats; ++i) {
        tl.push_back(bench::time_ms([&] { conv->forward(x); }));
        if (direct) td.push_back(bench::time_ms([&] { models::strided_direct(*conv, x); }));
        if (single) ts.push_back(bench::time_ms([&] { models::single_pixel(*conv, x); }));
        tp.push_back(bench::time_ms([&] { models::strided_conv(*conv, x); }));
      }
      library.push_back(bench::median(tl));
      if (direct) ours.push_back(bench::median(td));
      if (single) one.push_back(bench::median(ts));
      picked.push_back(bench::median(tp));
    }
    const double lib = bench::median(library);
    const char* route = single ? "single pixel" : models::strided_conv_route_is_direct(*conv, x) ? "direct" : "library";
    std::printf("| %s | %ld | %ld → %ld, %ld×%ld | %s | %s | %s | %s | %.2f |\n", s.label.c_str(),
                static_cast<long>(s.batch), static_cast<long>(s.in), static_cast<long>(s.out),
                static_cast<long>(s.size), static_cast<long>(s.size), bench::fixed_ms(lib).c_str(),
                direct ? bench::fixed_ms(bench::median(ours)).c_str() : "–",
                single ? bench::fixed_ms(bench::median(one)).c_str() : "–", route, lib / bench::median(picked));
  }
}
