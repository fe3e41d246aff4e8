// The compress job: score -> prune -> fine-tune -> export -> report, writing a run directory any reader can follow.
#pragma once
#include "core/data/dataset.h"
#include "core/jobs/compress_config.h"
#include "core/prune/scorer.h"

#include <atomic>
#include <functional>

namespace gs::dist {
class Group;
}

namespace gs::jobs {

struct JobCallbacks {
  // stage: "score", "finetune", "report"; done / total in the stage's own units (batches, steps).
  std::function<void(const std::string& stage, int64_t done, int64_t total)> on_progress;
  std::function<void(const nlohmann::json& event)> on_event; // each event as appended to events.jsonl
  std::function<void(const prune::ChannelScores& partial, int64_t done, int64_t total)> on_scores;
  std::function<void(int64_t step, const at::Tensor& teacher, const at::Tensor& student, const at::Tensor& inputs)>
      on_samples;
  const std::atomic<bool>* abort = nullptr; // stops after the current batch or step, with a checkpoint
  const std::atomic<bool>* pause = nullptr;
  // One process of a data-parallel job: every process runs the job with the same config; they split scoring batches
  // and every fine-tuning batch, rank 0 alone learns masks, evaluates and writes the run directory.
  dist::Group* group = nullptr;
};

struct JobResult {
  bool cancelled = false;
  int64_t steps_done = 0;
  nlohmann::json metrics; // the student's last evaluation (empty when evaluation is off)
};

// Checks everything that can be checked before any work (the model loads, the method applies, the selection is
// possible, the data and the feature extractor open, the directory is writable and, unless resuming, holds no run)
// and throws std::invalid_argument / std::runtime_error / models::ModelError naming the problem. With `resume`, the
// config must equal the run's config.json; scoring is skipped when scores.json exists and fine-tuning continues from
// checkpoints/state.pt.
// The job's data (real images or model inputs, sized for the model) and scorer parameters: what the GUI uses to score
// alone, exactly as the job would.
std::unique_ptr<data::Dataset> open_job_data(const CompressConfig& config, models::Generator& g);
prune::ScoreParams score_params(const CompressConfig& config, const models::Generator& g, const data::Dataset* inputs);

// The grid a run's samples/step-N.png holds (uint8 [H, W, 3], io::make_grid's padding): teacher rows above student
// rows, 8 to a row; image-to-image (inputs defined): input | teacher | student triplets, kTripletColumns to a row.
at::Tensor sample_grid(const at::Tensor& teacher, const at::Tensor& student, const at::Tensor& inputs);

JobResult run_compress(const CompressConfig& config, const std::string& run_dir, bool resume,
                       const JobCallbacks& callbacks = {});

} // namespace gs::jobs
