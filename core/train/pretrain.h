// Training a GAN from scratch: the `pretrain` command, the demo-model recipes and (later) uniform-width students.
// Unconditional models (dcgan, ssd, stylegan2) learn from images; pix2pix from paired A|B images (conditional GAN +
// L1, as upstream); cyclegan from unpaired trainA/ trainB/ folders (LSGAN, cycle and identity losses, as upstream).
#pragma once
#include "core/models/generator.h"

#include <atomic>
#include <functional>
#include <string>

namespace gs::train {

struct StepLosses {
  double d = 0;  // discriminator loss (without R1)
  double g = 0;  // generator loss
  double r1 = 0; // last R1 penalty (StyleGAN2), 0 elsewhere
  double l1 = 0; // pix2pix: mean absolute difference to the target images; cyclegan: mean cycle-consistency L1
};

struct PretrainParams {
  models::Arch arch = models::Arch::DCGAN;
  nlohmann::json generator_options = nlohmann::json::object();
  nlohmann::json discriminator_options = nlohmann::json::object();
  std::string data;        // a dataset spec (core/data/dataset.h)
  std::string out;         // the model file; training state goes to out + ".state"
  std::string samples_dir; // sample grids samples_dir/step-N.png; empty: none
  int64_t steps = 2000;
  int64_t batch = 64;
  double lr = 2e-4; // Adam, both networks
  double beta1 = 0.5, beta2 = 0.999;
  double r1_gamma = 10; // StyleGAN2 only, applied lazily every 16 steps
  // Unconditional models: half-life, in thousands of images, of a moving average of the generator's weights (0:
  // none). With one, the model file and the sample grids hold the average, like upstream StyleGAN2's g_ema, whose
  // 10 is the StyleGAN2 default here; the raw generator stays in OUT.state.
  double ema_kimg = 0;
  double l1_weight = 100; // pix2pix only: weight of L1 to the target beside the conditional GAN loss
  double cycle_weight = 10, identity_weight = 0.5; // cyclegan only: lambda_A = lambda_B and lambda_identity
  uint64_t seed = 0;
  std::string device = "auto"; // auto (CUDA when available), cpu, cuda
  bool deterministic = false;  // CPU, one thread, deterministic kernels: same weights on every run and on resume
  bool resume = false;         // continue from out + ".state"
  int64_t sample_every = 500, checkpoint_every = 500;
  std::function<void(int64_t step, int64_t total, const StepLosses&)> on_progress;
  std::function<void(const nlohmann::json& event)> on_event; // {"step", "kind": "checkpoint" | "samples", ...}
  const std::atomic<bool>* abort = nullptr;                  // checked every step
};

struct PretrainResult {
  int64_t steps_done = 0;
  bool aborted = false; // stopped early; a checkpoint of the last step was written
  StepLosses last;
};

// Per-architecture defaults (options the architecture expects for a dataset of `channels` x `size` images, the
// learning rate of its paper); the CLI starts from these.
PretrainParams default_params(models::Arch arch, int64_t size, int64_t channels);

// CycleGAN trains both directions: `out` holds the A->B generator with the discriminator of B images, this file the
// B->A generator with the discriminator of A images ("M.pt" -> "M-BtoA.pt").
std::string reverse_model_path(const std::string& out);

// Throws std::invalid_argument / std::runtime_error naming the problem (unknown data, unwritable output, an
// architecture pretrain cannot train) before any training step.
PretrainResult pretrain(const PretrainParams& params);

} // namespace gs::train
