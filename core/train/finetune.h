// Fine-tuning a pruned student against its unpruned teacher: composable objectives, EMA, DGL-GAN's two stages, lazy
// R1, periodic samples and evaluation through callbacks, and atomic checkpoints a killed run resumes from exactly.
#pragma once
#include "core/data/dataset.h"
#include "core/models/registry.h"

#include <atomic>
#include <functional>
#include <map>
#include <string>

namespace gs::dist {
class Group;
}

namespace gs::train {

struct Objectives {
  std::string adversarial = "logistic"; // logistic (= bce on logits), hinge, lsgan
  double adversarial_weight = 1;        // 0: no discriminator is trained (pure distillation)
  double pixel = 3;                     // L1 between student and teacher outputs on the same inputs
  double relation = 30;                 // relation distillation (cosine-similarity matrices, KL)
  double feature = 0;                   // L1 on every channel group's activations (student vs teacher's kept ones)
  double dgl_alpha = 0;                 // DGL-GAN: weight of the frozen teacher discriminator's term; 0 = off
  int64_t dgl_start = 0;                // DGL-GAN stage 2 (the teacher term) starts at this step
  double r1_gamma = 0;                  // R1 on real images, lazily every 16 steps; 0 = off
  double ema = 0.999;                   // EMA decay of the student generator; 0 = off
};

struct FinetuneParams {
  models::Model* teacher = nullptr; // frozen; its discriminator, when it has one, is DGL-GAN's D_T
  models::Model* student = nullptr; // the pruned generator and the discriminator it trains against
  // Real images for unconditional models; input images for image-to-image ones, whose "real" side is the teacher's
  // output (the student learns the teacher's mapping, so unpaired data works too).
  std::string data;
  std::string data_layout = "auto"; // auto, single, paired (A|B: the A half is the input), unpaired
  // The same data already opened by the caller at the model's resolution (as `data` would be); used instead of
  // opening `data` again when set.
  const data::Dataset* dataset = nullptr;
  // The teacher channels each student group kept (the pruning plan); feature distillation compares those. A group
  // without an entry kept all its channels.
  models::KeptChannels kept;
  int64_t steps = 1000, batch = 16;
  double lr = 2e-4, beta1 = 0.5, beta2 = 0.999;
  Objectives objectives;
  uint64_t seed = 0;
  std::string device = "auto";
  bool deterministic = false;
  std::string state_path; // checkpoint archive (student, discriminator, EMA, optimisers, RNGs, step); "" = none
  bool resume = false;
  int64_t checkpoint_every = 200, sample_every = 100, eval_every = 0, log_every = 10;
  int64_t sample_count = 16;
  std::function<void(int64_t step, int64_t total, const std::map<std::string, double>& losses)> on_progress;
  // {"step", "kind": "loss" | "stage" | "checkpoint" | "eval" | "note", ...}
  std::function<void(const nlohmann::json& event)> on_event;
  // Teacher and student outputs (EMA weights when on) on the same fixed inputs, [N, C, H, W] in [-1, 1]; image-to-
  // image models also get the inputs.
  std::function<void(int64_t step, const at::Tensor& teacher, const at::Tensor& student, const at::Tensor& inputs)>
      on_samples;
  // Metrics of the student (EMA weights when on) at eval_every steps and at the end; the result goes into an "eval"
  // event.
  std::function<nlohmann::json(int64_t step, models::Generator& student)> evaluate;
  // Data-parallel over the processes of `group`: each takes its share of every step's batch (which must split
  // evenly), gradients are averaged after every backward pass, rank 0's state (weights, optimisers, RNGs, step) is
  // everyone's at the start, and only rank 0 checkpoints, samples, evaluates and emits events. Per-sample losses then
  // give the weights one process would reach with the whole batch; relation distillation and batch normalisation see
  // each process's share (as PyTorch's DDP does without SyncBatchNorm).
  dist::Group* group = nullptr;
  const std::atomic<bool>* abort = nullptr; // checked every step: stops after a checkpoint
  const std::atomic<bool>* pause = nullptr; // while set, the loop waits between steps
};

struct FinetuneResult {
  int64_t steps_done = 0;
  bool aborted = false;
  std::map<std::string, double> last; // losses of the last step
};

// On return (not aborted) the student generator holds the EMA weights when EMA is on. Throws std::invalid_argument /
// std::runtime_error naming the problem (no data, mismatched teacher and student, unwritable state) before the first
// step; a diverging loss throws after the last checkpoint.
FinetuneResult finetune(const FinetuneParams& params);

} // namespace gs::train
