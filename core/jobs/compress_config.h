// The compress job's configuration: what config.json in a run directory holds and `ganstudio-cli compress` reads.
#pragma once
#include "core/prune/selection.h"
#include "core/train/finetune.h"

#include <nlohmann/json.hpp>

namespace gs::jobs {

struct ScoreSettings {
  int64_t batches = 0, batch = 0; // 0: the method's defaults
  std::vector<double> region;     // content-aware: {x0, y0, x1, y1} as fractions; empty = centre 50% box
  double noise_density = 0.1;
  int64_t directions = 10;
  double alpha = 5;
  int64_t pca_samples = 10000;
};

// Learned-mask methods: how long and how hard to push towards the MAC budget of `selection.sparsity`.
struct LearnSettings {
  int64_t max_steps = 3000;
  // Also hold the values the student's layers write to the uniform cut's. With MACs alone the learned students keep
  // their high-resolution layers wide and run slower than their MACs promise; this budget narrows those layers, at
  // a cost in quality, and helps speed only partly (docs/compression.md), so it is off by default.
  bool output_budget = false;
  // How the MAC budget counts transposed convolutions: "by_output" (the papers' count), "by_input" (the
  // multiplications performed, which latency follows: models::MacConvention) or "auto" (by input for pix2pix's U-Net,
  // whose decoder is most of the count by output and whose students came out better and faster with that budget,
  // docs/compression.md; by output for the other architectures).
  std::string mac_count = "auto";
  // coronet
  double lr = 1e-3;
  double sparsity_weight = 0.5, sparsity_growth = 1.0015;
  double threshold = 1e-2;
  // density (core/prune/agents.h)
  bool prune_discriminator = true;
  int64_t min_steps = 200, batch = 16, centres = 4, neighbours = 4;
  double temperature = 0.4, agent_lr = 2e-3, kernel_weight = 1, budget_weight = 2;
};

struct CompressConfig {
  std::string model;          // teacher checkpoint
  std::string method = "l1";  // scorer (core/prune/scorer.h)
  prune::Selection selection; // sparsity, policy, min_width, overrides
  ScoreSettings score;
  LearnSettings learn;
  std::string data; // dataset spec: real images, or inputs for image-to-image models
  std::string data_layout = "auto";
  int64_t steps = 1000, batch = 16;
  double lr = 2e-4, beta1 = 0.5, beta2 = 0.999;
  train::Objectives objectives;
  bool eval = true;       // metrics at eval_every steps and at the end
  int64_t eval_every = 0; // 0: only before and after fine-tuning
  int64_t eval_n = 500;
  std::string extractor; // "" = built-in
  int64_t sample_every = 100, checkpoint_every = 200, log_every = 10;
  uint64_t seed = 0;
  std::string device = "auto";
  bool deterministic = false;
};

nlohmann::json to_json(const CompressConfig& c);
// Fills defaults for absent keys. Throws std::invalid_argument naming the first unknown key ("finetune.lrr"), wrong
// type or out-of-range value, so a typo never runs silently with a default.
CompressConfig config_from_json(const nlohmann::json& j);
// The range checks config_from_json makes, for configs built in code (the GUI, tests): std::invalid_argument naming
// the first value out of range.
void check_config(const CompressConfig& c);
// learn.mac_count for a teacher of `arch`, "auto" resolved: "by_output" or "by_input"; std::invalid_argument for
// anything but those and "auto".
std::string resolved_mac_count(const LearnSettings& l, models::Arch arch);
// The same as a convention.
models::MacConvention mac_convention(const LearnSettings& l, models::Arch arch);
CompressConfig load_config(const std::string& path); // std::runtime_error naming the file

} // namespace gs::jobs
