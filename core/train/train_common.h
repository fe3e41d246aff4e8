// What every training loop shares: step-indexed data, device choice, output checks, state archives.
#pragma once
#include "core/data/dataset.h"

#include <ATen/core/Generator.h>
#include <c10/core/Device.h>

#include <string>
#include <utility>
#include <vector>

namespace torch::nn {
class Module;
}
namespace torch::serialize {
class OutputArchive;
class InputArchive;
} // namespace torch::serialize

namespace gs::train {

// Step s's batch is a slice of epoch e's permutation, randperm(N) seeded by seed + e: no loader state to save, and a
// resumed run sees exactly the images an uninterrupted one would. Images come as float [B, C, H, W] in [-1, 1].
class StepSampler {
public:
  StepSampler(const data::Dataset& dataset, uint64_t seed, int64_t batch);
  // From now on batch() gives only `count` images starting at `first` of each step's batch (one process's share).
  void shard(int64_t first, int64_t count);
  at::Tensor batch(int64_t step);
  // Paired data (pix2pix "aligned"): the step's inputs and targets, each float [B, C, H, W] in [-1, 1]. Throws
  // std::invalid_argument when the dataset has no targets.
  std::pair<at::Tensor, at::Tensor> pairs(int64_t step);
  int64_t skipped() const { return skipped_; }

private:
  std::vector<data::Sample> samples(int64_t step);
  int64_t index(int64_t position);
  const data::Dataset& dataset_;
  uint64_t seed_;
  int64_t batch_, first_ = 0, count_, epoch_ = -1, offset_ = 0, skipped_ = 0;
  at::Tensor order_;
};

// "auto", "single", "paired" (A|B side by side), "unpaired" (trainA/ trainB/); std::invalid_argument otherwise.
data::Layout layout_from_name(const std::string& name);

// "auto" (CUDA when available), "cpu" or "cuda"; deterministic runs are always on the CPU. Throws for an unknown
// name or CUDA asked for but absent.
c10::Device pick_device(const std::string& device, bool deterministic);

// One thread and deterministic kernels: the same weights on every run and on resume.
void make_deterministic();

// Throws std::runtime_error naming the directory when `path` could not be created there.
void check_writable(const std::string& path);

// Every parameter and buffer of `m` under `prefix`, and back (strictly: a missing or mis-shaped tensor throws).
void write_modules(torch::serialize::OutputArchive& archive, const std::string& prefix, torch::nn::Module& m);
void read_modules(torch::serialize::InputArchive& archive, const std::string& prefix, torch::nn::Module& m);
// The step, a loop's own RNG and the global CPU RNG: what makes a resumed run draw the same numbers.
void write_progress(torch::serialize::OutputArchive& archive, int64_t step, const at::Generator& rng);
int64_t read_progress(torch::serialize::InputArchive& archive, at::Generator& rng);
// Saves next to `path` and renames over it, so a kill leaves the previous archive intact.
void save_archive_atomic(torch::serialize::OutputArchive& archive, const std::string& path);

} // namespace gs::train
