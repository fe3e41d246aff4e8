// CoroNetGAN-style differentiable pruning: per-group latent vectors z gate every weight through a small hypernetwork,
// a proximal step drives entries of z to exactly zero, and training stops once the generator's MACs (and values
// written) reach a target.
#pragma once
#include "core/prune/mac_model.h"
#include "core/prune/scorer.h"

namespace gs::prune {

struct HypernetParams {
  Budget target;            // stop when the kept channels cost at most this (macs > 0 required)
  int64_t max_steps = 3000; // give up (keeping what was reached) after this many steps
  int64_t batch = 8;
  double lr = 1e-3;      // Adam on the hypernetwork, and the latent vectors' shared-scale step
  double sparsity = 0.5; // lambda of the proximal step z <- sign(z) max(|z| - lambda lr, 0) at the start
  // lambda's growth per step, until the target is met. Slow enough for the loss to sort the channels before the
  // pressure overwhelms it: on the DCGAN demo at 50% the pruned student's FD was 41 with 1.0015 (target met at step
  // ~1130), 47 with 1.003 (~730), 129 with 1.01 (~320).
  double sparsity_growth = 1.0015;
  double threshold = 1e-2;         // a channel is kept while |z| >= threshold (z starts at 1)
  int64_t embedding = 8;           // hypernetwork embedding size
  double pixel = 3, relation = 30; // distillation from the unpruned teacher on the same inputs
  uint64_t seed = 0;
  InputSource inputs; // empty: seeded latents
  std::function<void(int64_t step, int64_t macs, double loss, const ChannelScores& z)> on_progress;
  const std::atomic<bool>* abort = nullptr;
};

struct HypernetResult {
  ChannelScores scores;      // |z| per channel (0 for channels the proximal step removed)
  models::KeptChannels kept; // |z| >= threshold, at least one channel per group
  int64_t steps = 0;
  int64_t macs = 0, outputs = 0; // of the kept channels
  bool reached = false;          // the budget was met
  bool cancelled = false;
};

// About how many steps learning takes: 1.4 times the step by which the proximal step alone would have zeroed a latent
// entry of 1 (channels start to go near it; the demos met their budgets 2-30% after it, a tiny SSD in the tests 35%),
// at most params.max_steps. For progress and ETA; learning itself stops at the budget, whenever that is.
int64_t expected_steps(const HypernetParams& params);

// Trains on `g` (a copy of the teacher, changed in place) and leaves in it the weights the hypernetwork generates, with
// z folded in: slicing `g` to `kept` materialises the plain pruned generator. Throws std::invalid_argument for a
// target that is not below the current MACs or not positive, or a model without channel groups.
HypernetResult hypernet_prune(models::Generator& g, models::Generator& teacher, const HypernetParams& params);

} // namespace gs::prune
