// Metrics of a generator on fixed sets during and after fine-tuning, labelled after the extractor and sample count.
#pragma once
#include "core/data/dataset.h"
#include "core/metrics/feature_extractor.h"
#include "core/models/generator.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>

namespace gs::jobs {

struct EvalSettings {
  std::string extractor; // TorchScript feature extractor; "" = the bundled built-in one
  int64_t n = 500;       // generated and real samples compared (part of every label: "FD-builtin@500")
  uint64_t seed = 0;
  // Any of "fd" (also "fid"), "kid", "pr" (precision / recall, k = 3), "dc" (density / coverage, k = 5).
  std::vector<std::string> metrics{"fd", "pr", "dc"};
  std::function<void(int64_t done, int64_t total)> on_progress; // images through the extractor
  // Real-image features are cached in `cache_dir` under a key made of `data_key` (dataset spec and resolution), the
  // extractor file (path, size, modification time), n and seed; empty = no cache.
  std::string cache_dir, data_key;
};

// $XDG_CACHE_HOME/ganstudio/real-features (or ~/.cache/...): where the evaluator caches real-image features.
std::string default_feature_cache_dir();

// Unconditional models are compared with a fixed random subset of the data; image-to-image students with their
// teacher's outputs on fixed inputs (what the student is taught to reproduce). Latents and inputs are fixed at
// construction, so curves over steps compare like with like.
class Evaluator {
public:
  // `inputs` are the dataset images (float [-1, 1]) for image-to-image models; `real` the real images (uint8) for
  // unconditional ones. Throws std::runtime_error naming the extractor when it cannot be found or loaded, and
  // std::invalid_argument for an unknown metric or too few samples.
  Evaluator(const EvalSettings& settings, models::Generator& teacher, const at::Tensor& real_or_inputs);

  // The metrics asked for ("fd", "kid", "kid_std", "precision", "recall", "density", "coverage"), with "labels",
  // "n" and "extractor".
  nlohmann::json evaluate(models::Generator& g) const;
  const metrics::ExtractorInfo& extractor() const { return extractor_.info(); }
  bool real_features_from_cache() const { return from_cache_; }

private:
  at::Tensor generate_features(models::Generator& g) const;
  at::Tensor features_of(const at::Tensor& uint8_images) const;
  bool wants(const char* metric) const;
  EvalSettings settings_;
  metrics::FeatureExtractor extractor_;
  bool image_to_image_;
  at::Tensor inputs_;        // latents or input images
  at::Tensor real_features_; // [n, d]
  bool from_cache_ = false;
};

// The bundled extractor's path, or nullopt when it is not installed.
std::optional<std::string> builtin_extractor_path();

// `n` images of a dataset in a seeded order (unreadable ones skipped): uint8 [n, C, H, W].
at::Tensor sample_images(const data::Dataset& d, int64_t n, uint64_t seed);

} // namespace gs::jobs
