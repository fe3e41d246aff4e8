// Channel importance scoring: one score per channel of every channel group (higher = keep), streamed batch by batch.
#pragma once
#include "core/models/generator.h"

#include <atomic>
#include <functional>

namespace gs::prune {

// Group name -> one score per channel, in channel order.
using ChannelScores = std::map<std::string, std::vector<double>>;

// Generator inputs for batch `index` holding `size` samples: latents [size, dim] or images [size, C, H, W] in [-1, 1].
using InputSource = std::function<at::Tensor(int64_t index, int64_t size)>;

struct ScoreParams {
  int64_t batches = 0;    // 0: the method's default (content 50, diversity 1000)
  int64_t batch_size = 0; // 0: the method's default (content 8, diversity 5)
  uint64_t seed = 0;      // random scores, sampled latents, salt-and-pepper noise, PCA directions
  InputSource inputs;     // empty: seeded standard-normal latents; image-to-image models need one
  // Content-aware: where salt-and-pepper noise goes, float [H, W] in [0, 1] at any resolution (resized to the
  // output's); undefined = the centre 50% box. `noise_density` is the share of pixels inside it that are flipped.
  at::Tensor region;
  double noise_density = 0.1;
  // Diversity-aware: directions sampled from the PCA of `pca_samples` mapped latents, step `alpha` along each, in
  // units of the mapped latents' typical per-coordinate standard deviation (for z ~ N(0, I): plain unit steps).
  int64_t directions = 10;
  double alpha = 5.0;
  int64_t pca_samples = 10000;
  // Called after every batch with the scores accumulated so far (heatmaps converge live).
  std::function<void(int64_t done, int64_t total, const ChannelScores& partial)> on_partial;
  const std::atomic<bool>* abort = nullptr; // checked before every batch
  // Several processes scoring together: this one takes batches shard, shard + shards, ... and `sum_across` adds the
  // per-channel totals of all of them (every process must call score() with the same parameters).
  int64_t shard = 0, shards = 1;
  std::function<void(at::Tensor&)> sum_across;
};

struct ScoreResult {
  ChannelScores scores;
  int64_t batches = 0;            // batches scored
  bool cancelled = false;         // stopped by `abort`; scores hold the batches done so far
  std::vector<std::string> notes; // e.g. groups scored by a fallback
};

struct ScorerInfo {
  std::string name;    // "random", "l1", "norm", "content", "diversity"
  std::string label;   // what the GUI shows
  std::string summary; // one plain-language sentence
};

const std::vector<ScorerInfo>& scorers();
// Methods that learn which channels to drop while training to a MAC target ("coronet"), instead of scoring once.
const std::vector<ScorerInfo>& learned_methods();
bool is_learned_method(const std::string& name);

// A rectangular region of interest {x0, y0, x1, y1} (fractions of width and height) as a mask for ScoreParams::region.
// Throws std::invalid_argument unless 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1.
at::Tensor box_region(const std::vector<double>& box);

// Why `method` (a scorer or a learned method) cannot prune `g` (e.g. "diversity needs a latent input; pix2pix takes
// images"), or "" when it can. Throws std::invalid_argument for a method that does not exist, listing those that do.
// `has_discriminator`: whether the model came with its discriminator (density prunes against it).
std::string not_applicable(const std::string& method, models::Generator& g, bool has_discriminator = true);

// Scores every channel group of `g`. Throws std::invalid_argument (unknown or inapplicable method, bad parameters,
// no inputs for an image-to-image model) before any work starts. Leaves `g`'s weights and mode unchanged.
ScoreResult score(const std::string& method, models::Generator& g, const ScoreParams& params);

} // namespace gs::prune
