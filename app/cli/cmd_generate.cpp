// ganstudio-cli generate: run a generator on given latents / images, or on seeded latents, to .npy and/or a PNG grid.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/data/input_images.h"
#include "core/io/npy.h"
#include "core/io/png.h"
#include "core/models/cost.h"
#include "core/models/registry.h"

#include <torch/torch.h>

#include <iostream>

namespace gs::cli {
namespace {

// Latents [N, dim] or [N, dim, 1, 1]; images [N, C, H, W] in [-1, 1], as the generator's input spec says.
at::Tensor check_inputs(const models::InputSpec& spec, at::Tensor x, const std::string& path) {
  auto expect = [&](const std::string& what) {
    std::string shape;
    for (auto d : spec.shape) shape += ", " + std::to_string(d);
    throw std::invalid_argument(path + ": expected " + what + " [N" + shape + "], got " + std::to_string(x.dim()) +
                                "-D array");
  };
  if (spec.kind == models::InputSpec::Kind::Latent) {
    if (x.dim() == 4 && x.size(2) == 1 && x.size(3) == 1) x = x.flatten(1);
    if (x.dim() != 2 || x.size(1) != spec.shape.at(0)) expect("latents");
  } else if (x.dim() != 4 || x.size(1) != spec.shape.at(0)) {
    expect("images in [-1, 1]");
  }
  if (!torch::isfinite(x).all().item<bool>()) throw std::invalid_argument(path + ": inputs contain NaN or infinity");
  return x.to(torch::kFloat);
}

} // namespace

int run_generate(const std::vector<std::string>& argv) {
  Args args(
      "generate",
      "Runs a generator deterministically (eval mode; StyleGAN2 uses its stored noise) on latents or images.\n"
      "Inputs: --inputs in.npy (float32 latents [N, dim] or [N, dim, 1, 1] for unconditional models, images\n"
      "[N, C, H, W] in [-1, 1] for image-to-image ones), or --n N seeded standard-normal latents (--seed), or for\n"
      "image-to-image models --data D (the first N images). Outputs images [N, C, H, W] in [-1, 1].",
      {},
      {{"--model", "M", "generator checkpoint (any format `info` reads)"},
       {"--inputs", "IN.npy", "latents or input images"},
       {"--n", "N", "number of samples when --inputs is not given (default 16)"},
       {"--seed", "S", "seed of the sampled latents (default 0)"},
       {"--data", "D", "dataset to take input images from (image-to-image models)"},
       {"--truncation", "T", "truncation psi for models with a mapping network (default 1 = none)"},
       {"--batch", "B", "samples per forward pass (default 16)"},
       {"--out", "OUT.npy", "write the outputs, float32 NCHW in [-1, 1]"},
       {"--grid", "G.png", "write a PNG grid (image-to-image: input and output side by side)"}});
  if (!args.parse(argv)) return 0;
  const std::string model_path = args.required("--model");
  const auto out = args.value("--out"), grid = args.value("--grid");
  if (!out && !grid) throw UsageError("nothing to write: give --out and/or --grid");
  const int64_t batch = args.integer("--batch", 16, 1);
  models::GenerateOptions gen_opts;
  gen_opts.truncation = args.number("--truncation", 1.0, true);

  models::Model model = models::load_model(model_path);
  models::Generator& g = *model.generator;
  const models::InputSpec spec = g.input_spec();
  at::Tensor inputs;
  if (auto in = args.value("--inputs")) {
    inputs = check_inputs(spec, io::read_npy(*in), *in);
  } else if (spec.kind == models::InputSpec::Kind::Image) {
    const auto data = args.value("--data");
    if (!data) throw UsageError("an image-to-image model needs --inputs IN.npy or --data D");
    const data::InputImages images(*data, spec.shape.at(1), static_cast<int>(spec.shape.at(0)));
    inputs = images.batch(0, std::min(args.integer("--n", 16, 1), images.size()));
  } else {
    const int64_t n = args.integer("--n", 16, 1);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(args.integer("--seed", 0, 0)));
    inputs = at::randn({n, spec.shape.at(0)}, gen);
  }
  if (inputs.size(0) == 0) throw std::invalid_argument("no inputs to generate from");

  torch::NoGradGuard no_grad;
  g.module().eval();
  std::vector<at::Tensor> outputs;
  Progress progress("generate", inputs.size(0));
  for (int64_t i = 0; i < inputs.size(0); i += batch) {
    outputs.push_back(g.forward(inputs.slice(0, i, i + batch), gen_opts));
    progress.update(std::min(i + batch, inputs.size(0)));
  }
  progress.finish();
  const at::Tensor images = torch::cat(outputs);
  if (out) io::write_npy(*out, images);
  if (grid) {
    at::Tensor tiles = images;
    if (spec.kind == models::InputSpec::Kind::Image && inputs.size(1) == images.size(1))
      tiles = torch::stack({inputs, images}, 1).flatten(0, 1); // input, output, input, output, ...
    io::write_png(*grid, io::make_grid(tiles, spec.kind == models::InputSpec::Kind::Image ? 8 : 0));
  }
  std::cout << models::arch_name(model.arch) << ": " << images.size(0) << " images " << images.size(2) << "x"
            << images.size(3) << (out ? " -> " + *out : "") << (grid ? " grid -> " + *grid : "") << "\n";
  return 0;
}

} // namespace gs::cli
