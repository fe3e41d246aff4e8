// Training steps of the bundled demo generators with OpenBLAS's thread pool beside LibTorch's (both at every core:
// the setting before `set_threads` kept OpenBLAS at one thread) and with OpenBLAS at one thread (set_threads now),
// side by side in one run. A step: forward at batch B, L1 to a fixed target, backward, Adam.
//   bench_threads [--repeats N] [--rounds N] [--batch B]
#include "bench/python_reference.h"
#include "core/models/registry.h"
#include "core/runtime.h"

#include <torch/torch.h>

#include <dlfcn.h>

#include <cstdio>
#include <string>
#include <vector>

using namespace gs;

namespace {

using SetThreads = void (*)(int);

// Median milliseconds of `repeats` steps after one untimed one.
template <typename F> double block_ms(int repeats, F step) {
  step();
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) t.push_back(bench::time_ms(step));
  return bench::median(t);
}

} // namespace

int main(int argc, char** argv) {
  int repeats = 10, rounds = 3, batch = 16;
  if (!bench::repeat_options(argc, argv, repeats, rounds, batch)) return 2;
  const int threads = init_runtime();
  const auto openblas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (!openblas) {
    std::fprintf(stderr, "bench_threads: LibTorch does not use OpenBLAS here: nothing to compare\n");
    return 1;
  }
  torch::manual_seed(0);
  std::printf("training steps, batch %d, LibTorch at %d threads, median of %d rounds × %d steps (blocks of each "
              "setting alternating), ms\n\n",
              batch, threads, rounds, repeats);
  std::printf("| demo | OpenBLAS at %d threads | OpenBLAS at 1 | speed-up |\n|---|---:|---:|---:|\n", threads);
  for (const char* demo : {"dcgan-fashion-mnist", "stylegan2-fashion-mnist", "pix2pix-emoji-edges"}) {
    models::Model m = models::load_model(std::string(GANSTUDIO_SOURCE_DIR) + "/resources/demo/" + demo + ".pt");
    models::Generator& g = *m.generator;
    g.module().train();
    std::vector<int64_t> shape{batch};
    for (const int64_t d : g.input_spec().shape) shape.push_back(d);
    const at::Tensor x = torch::randn(shape).clamp(-1, 1);
    at::Tensor target;
    {
      torch::NoGradGuard no_grad;
      target = torch::rand_like(g.forward(x)) * 2 - 1;
    }
    torch::optim::Adam adam(g.module().parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}));
    const auto step = [&] {
      adam.zero_grad();
      torch::l1_loss(g.forward(x), target).backward();
      adam.step();
    };
    std::vector<double> both, one;
    for (int r = 0; r < rounds; ++r) {
      openblas(threads);
      both.push_back(block_ms(repeats, step));
      openblas(1); // what set_threads leaves it at
      one.push_back(block_ms(repeats, step));
    }
    const double a = bench::median(both), b = bench::median(one);
    std::printf("| %s | %s | %s | %.2f |\n", demo, bench::fixed_ms(a).c_str(), bench::fixed_ms(b).c_str(), a / b);
  }
}
