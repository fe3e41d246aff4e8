// ganstudio-cli pretrain: train a GAN from scratch on a dataset, with progress, sample grids and resumable checkpoints.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/models/registry.h"
#include "core/train/pretrain.h"

#include <cstdio>
#include <iostream>

namespace gs::cli {
namespace {

void merge_json(nlohmann::json& into, const Args& args, const std::string& name) {
  auto v = args.value(name);
  if (!v) return;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(*v);
  } catch (const nlohmann::json::exception&) {
    throw UsageError(name + " must be a JSON object, e.g. '{\"ngf\": 32}'");
  }
  if (!j.is_object()) throw UsageError(name + " must be a JSON object, e.g. '{\"ngf\": 32}'");
  into.update(j);
}

} // namespace

int run_pretrain(const std::vector<std::string>& argv) {
  Args args(
      "pretrain",
      "Trains a GAN from scratch: unconditional (dcgan, ssd, stylegan2) on images, pix2pix on paired A|B\n"
      "images (`ganstudio-cli edges` makes them), or cyclegan on unpaired images (a folder with trainA/ and\n"
      "trainB/). Losses: non-saturating logistic (= BCE with logits) for both networks; StyleGAN2 adds R1\n"
      "(gamma 10) every 16 steps; pix2pix's discriminator sees (A, image) pairs and its generator adds\n"
      "100 x L1 to the target; cyclegan trains both directions with LSGAN, 10 x cycle L1 and 5 x identity L1,\n"
      "as upstream, and writes the B->A generator to OUT-BtoA.pt beside OUT. Writes the model\n"
      "(torch.load-able, loadable by info/generate) and OUT.state (weights, optimisers, RNGs, step) every\n"
      "--checkpoint-every steps, atomically; --resume continues from OUT.state. Ctrl-C stops after the current\n"
      "step and saves. --deterministic: CPU, one thread, deterministic kernels, identical weights on every run\n"
      "and across resumes.",
      {},
      {{"--arch", "A", "dcgan, ssd, stylegan2, pix2pix or cyclegan"},
       {"--data", "D", "dataset: fashion-mnist, an image folder, a tensor cache .pt"},
       {"--out", "M.pt", "model file to write"},
       {"--steps", "N", "training steps (default 2000)"},
       {"--batch", "B", "batch size (default per architecture: 64 dcgan, 32 ssd/stylegan2, 16 pix2pix, 4 cyclegan)"},
       {"--size", "S", "image size (default 32)"},
       {"--channels", "C", "1 or 3 (default 1 for fashion-mnist, else 3; stylegan2 is always 3)"},
       {"--lr", "X", "Adam learning rate (default per architecture)"},
       {"--ema-kimg", "K",
        "half-life in thousands of images of the generator's moving average, which the model file\n"
        "and the grids then hold (default 10 for stylegan2, else 0: none; unconditional models)"},
       {"--seed", "S", "seed of weights, data order and latents (default 0)"},
       {"--device", "cpu|cuda|auto", "default auto: CUDA when available"},
       {"--deterministic", "", "CPU, one thread, deterministic kernels"},
       {"--resume", "", "continue from OUT.state"},
       {"--samples", "DIR", "write sample grids DIR/step-N.png"},
       {"--sample-every", "N", "steps between sample grids (default 500)"},
       {"--checkpoint-every", "N", "steps between checkpoints (default 500)"},
       {"--options", "JSON", "generator options, e.g. '{\"ngf\": 32}'"},
       {"--d-options", "JSON", "discriminator options"}});
  if (!args.parse(argv)) return 0;
  const std::string arch_text = args.required("--arch"), data = args.required("--data"), out = args.required("--out");
  const auto arch = models::arch_from_name(arch_text);
  if (!arch) throw UsageError("unknown architecture '" + arch_text + "' (dcgan, ssd, stylegan2, pix2pix, cyclegan)");
  const int64_t size = args.integer("--size", 32, 8);
  const int64_t channels = args.integer("--channels", data.rfind("fashion-mnist", 0) == 0 ? 1 : 3, 1);
  if (channels != 1 && channels != 3) throw UsageError("--channels must be 1 or 3");

  train::PretrainParams p = train::default_params(*arch, size, channels);
  p.data = data;
  p.out = out;
  p.steps = args.integer("--steps", p.steps, 1);
  p.batch = args.integer("--batch", p.batch, 1);
  p.lr = args.number("--lr", p.lr, true);
  p.ema_kimg = args.number("--ema-kimg", p.ema_kimg, false);
  p.seed = static_cast<uint64_t>(args.integer("--seed", 0, 0));
  p.device = args.value("--device").value_or("auto");
  p.deterministic = args.flag("--deterministic");
  p.resume = args.flag("--resume");
  p.samples_dir = args.value("--samples").value_or("");
  p.sample_every = args.integer("--sample-every", p.sample_every, 0);
  p.checkpoint_every = args.integer("--checkpoint-every", p.checkpoint_every, 0);
  merge_json(p.generator_options, args, "--options");
  merge_json(p.discriminator_options, args, "--d-options");

  Progress progress("pretrain " + arch_text, p.steps);
  p.on_progress = [&](int64_t step, int64_t, const train::StepLosses& l) {
    char detail[96];
    if (l.l1 > 0)
      std::snprintf(detail, sizeof detail, "loss D %.3f G %.3f %s %.3f", l.d, l.g,
                    *arch == models::Arch::CycleGAN ? "cycle" : "L1", l.l1);
    else
      std::snprintf(detail, sizeof detail, "loss D %.3f G %.3f", l.d, l.g);
    progress.update(step, detail);
  };
  p.abort = interrupt_flag();
  const train::PretrainResult r = train::pretrain(p);
  progress.finish();
  std::cout << arch_text << ": " << r.steps_done << " steps" << (r.aborted ? " (interrupted; --resume continues)" : "")
            << ", last losses D " << r.last.d << " G " << r.last.g << " -> " << out
            << (*arch == models::Arch::CycleGAN ? " (A->B) and " + train::reverse_model_path(out) + " (B->A)" : "")
            << "\n";
  return r.aborted ? 130 : 0;
}

} // namespace gs::cli
