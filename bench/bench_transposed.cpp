// Transposed-convolution routes on the zoo's layer shapes: LibTorch's own kernel beside our matrix-product and
// phase routes, timed alternately in one run, and the route transposed_route() picks for each shape.
// usage: bench_transposed [--repeats N] [--rounds N] [--threads N] [--backward] [--only TEXT]
// Each round times every applicable route N times per shape (forward only, no grad; --backward: forward plus
// backward of a fixed random gradient); the table gives the median over rounds of each route's median.
// speed-up = library time / time of the picked route. --only: the shapes whose label contains TEXT.
#include "bench/python_reference.h"
#include "core/models/transposed_conv.h"
#include "core/runtime.h"

#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

using namespace gs;
using models::TransposedRoute;

namespace {

struct Shape {
  std::string label;
  int64_t batch, in, out, kernel, stride, pad, out_pad, size;
};

std::vector<Shape> shapes() {
  std::vector<Shape> s;
  // The DCGAN demo (32 px, 100 → 128 / 64 / 32 channels), its uniform 50% and 70% students and two learned-width ones.
  const std::vector<std::pair<std::string, std::vector<int64_t>>> demo{{"dcgan demo", {128, 64, 32, 1}},
                                                                       {"dcgan demo 50%", {64, 32, 16, 1}},
                                                                       {"dcgan demo 70%", {38, 19, 10, 1}},
                                                                       {"dcgan coronet 50%", {57, 27, 24, 1}},
                                                                       {"dcgan density 50%", {63, 23, 27, 1}}};
  for (const auto& [label, w] : demo)
    for (int64_t b : {1, 16}) {
      s.push_back({label, b, 100, w[0], 4, 1, 0, 0, 1}); // the latent's 100 channels from one pixel to 4 × 4
      for (size_t i = 0; i + 1 < w.size(); ++i) s.push_back({label, b, w[i], w[i + 1], 4, 2, 1, 0, 4 << i});
    }
  // DCGAN 64 px, ngf 64 (bench_models).
  for (int64_t b : {1, 16})
    for (int64_t i = 0; i < 4; ++i) s.push_back({"dcgan 64px", b, 512 >> i, i == 3 ? 3 : 256 >> i, 4, 2, 1, 0, 4 << i});
  // pix2pix unet_128's decoder below the innermost layer at batches 1 and 4, CycleGAN resnet_6 128 px up-sampling at
  // batch 1.
  for (int64_t b : {1, 4})
    for (const auto& [in, out, size] : std::vector<std::array<int64_t, 3>>{{512, 512, 1},
                                                                           {1024, 512, 2},
                                                                           {1024, 512, 4},
                                                                           {1024, 256, 8},
                                                                           {512, 128, 16},
                                                                           {256, 64, 32},
                                                                           {128, 3, 64}})
      s.push_back({"pix2pix unet_128", b, in, out, 4, 2, 1, 0, size});
  // The pix2pix demo's decoder (64 px, ngf 16), its uniform 50% student and a local-density one, at batch 16.
  const std::vector<std::pair<std::string, std::vector<std::array<int64_t, 3>>>> unet{
      {"pix2pix demo", {{128, 128, 1}, {256, 128, 2}, {256, 64, 4}, {128, 32, 8}, {64, 16, 16}, {32, 3, 32}}},
      {"pix2pix demo 50%", {{64, 64, 1}, {128, 64, 2}, {128, 32, 4}, {64, 16, 8}, {32, 8, 16}, {16, 3, 32}}},
      {"pix2pix density", {{63, 36, 1}, {134, 61, 2}, {143, 18, 4}, {66, 14, 8}, {41, 6, 16}, {16, 3, 32}}},
      {"pix2pix density 70%", {{54, 13, 1}, {73, 42, 2}, {81, 14, 4}, {30, 10, 8}, {22, 3, 16}, {14, 3, 32}}}};
  for (const auto& [label, layers] : unet)
    for (const auto& [in, out, size] : layers) s.push_back({label, 16, in, out, 4, 2, 1, 0, size});
  // Pruned students' narrow output layers (DCGAN demo, DCGAN 64 px, pix2pix).
  for (int64_t in : {8, 20, 24}) s.push_back({"narrow output", 16, in, 1, 4, 2, 1, 0, 16});
  for (int64_t in : {8, 16, 32}) s.push_back({"narrow output", 16, in, 3, 4, 2, 1, 0, 32});
  for (int64_t in : {8, 16, 32}) s.push_back({"narrow output", 4, in, 3, 4, 2, 1, 0, 64});
  // A learned-width pix2pix student's last inner layers (local density, 50%): wider inputs, few outputs.
  for (const auto& [in, out, size] : std::vector<std::array<int64_t, 3>>{{41, 6, 16}, {64, 3, 32}, {96, 4, 16}})
    s.push_back({"narrow, wide input", 16, in, out, 4, 2, 1, 0, size});
  s.push_back({"cyclegan 128px", 1, 256, 128, 3, 2, 1, 1, 32});
  s.push_back({"cyclegan 128px", 1, 128, 64, 3, 2, 1, 1, 64});
  return s;
}

const char* route_name(TransposedRoute r) {
  switch (r) {
  case TransposedRoute::MatrixProduct:
    return "matrix";
  case TransposedRoute::Phases:
    return "phases";
  case TransposedRoute::Direct:
    return "direct";
  case TransposedRoute::Library:
    break;
  }
  return "library";
}

} // namespace

int main(int argc, char** argv) {
  int repeats = 20, rounds = 3, threads = 1;
  bool backward = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (bench::int_option(argc, argv, i, "--repeats", repeats) ||
        bench::int_option(argc, argv, i, "--rounds", rounds) || bench::int_option(argc, argv, i, "--threads", threads))
      continue;
    if (a == "--backward")
      backward = true;
    else if (a == "--only" && i + 1 < argc)
      only = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: bench_transposed [--repeats N] [--rounds N] [--threads N] [--backward] [--only TEXT]\n");
      return 2;
    }
  }
  init_runtime();
  set_threads(threads);
  torch::manual_seed(0);
  const std::vector<TransposedRoute> routes{TransposedRoute::Library, TransposedRoute::MatrixProduct,
                                            TransposedRoute::Phases, TransposedRoute::Direct};
  std::printf("%s, %d thread(s), median of %d rounds × %d runs, ms\n\n", backward ? "forward + backward" : "forward",
              threads, rounds, repeats);
  std::printf("| layers | batch | in → out, input | library | matrix | phases | direct | picked | speed-up |\n");
  std::printf("|---|---:|---|---:|---:|---:|---:|---|---:|\n");
  for (const Shape& s : shapes()) {
    if (s.label.find(only) == std::string::npos) continue;
    torch::nn::ConvTranspose2d conv(torch::nn::ConvTranspose2dOptions(s.in, s.out, s.kernel)
                                        .stride(s.stride)
                                        .padding(s.pad)
                                        .output_padding(s.out_pad)
                                        .bias(false));
    const at::Tensor x = torch::randn({s.batch, s.in, s.size, s.size}).requires_grad_(backward);
    const at::Tensor grad = torch::randn_like(conv->forward(x));
    std::map<TransposedRoute, std::vector<double>> rounds_ms;
    for (int r = 0; r < rounds; ++r)
      for (TransposedRoute route : routes) {
        const bool applies = [&] {
          at::AutoGradMode mode(backward); // the direct route serves passes without gradients only
          return models::route_applies(*conv, x, route);
        }();
        if (!applies) continue;
        const auto run = [&] {
          if (backward) {
            models::transposed_conv(*conv, x, route).backward(grad);
          } else {
            torch::NoGradGuard no_grad;
            models::transposed_conv(*conv, x, route);
          }
        };
        run();
        std::vector<double> t;
        for (int i = 0; i < repeats; ++i) t.push_back(bench::time_ms(run));
        rounds_ms[route].push_back(bench::median(t));
      }
    const TransposedRoute picked = [&] {
      at::AutoGradMode mode(backward); // the pick depends on whether gradients are wanted
      return models::transposed_route(*conv, x);
    }();
    const auto cell = [&](TransposedRoute r) {
      return rounds_ms.count(r) ? bench::fixed_ms(bench::median(rounds_ms[r])) : std::string("–");
    };
    std::printf("| %s | %ld | %ld → %ld, %ld×%ld | %s | %s | %s | %s | %s | %.2f |\n", s.label.c_str(),
                static_cast<long>(s.batch), static_cast<long>(s.in), static_cast<long>(s.out),
                static_cast<long>(s.size), static_cast<long>(s.size), cell(TransposedRoute::Library).c_str(),
                cell(TransposedRoute::MatrixProduct).c_str(), cell(TransposedRoute::Phases).c_str(),
                cell(TransposedRoute::Direct).c_str(), route_name(picked),
                bench::median(rounds_ms[TransposedRoute::Library]) / bench::median(rounds_ms[picked]));
  }
}
