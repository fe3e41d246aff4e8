// Metrics of a generator on fixed sets during and after fine-tuning, labelled after the extractor and sample count.
#pragma once
#include "core/metrics/feature_extractor.h"
#include "core/models/generator.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace gs::jobs {

struct EvalSettings {
  std::string extractor; // TorchScript feature extractor; "" = the bundled built-in one
  int64_t n = 500;       // generated and real samples compared (part of every label: "FD-builtin@500")
  uint64_t seed = 0;
};

// Unconditional models are compared with a fixed random subset of the data; image-to-image students with their
// teacher's outputs on fixed inputs (what the student is taught to reproduce). Latents and inputs are fixed at
// construction, so curves over steps compare like with like.
class Evaluator {
public:
  // `inputs` are the dataset images (float [-1, 1]) for image-to-image models; `real` the real images (uint8) for
  // unconditional ones. Throws std::runtime_error naming the extractor when it cannot be found or loaded.
  Evaluator(const EvalSettings& settings, models::Generator& teacher, const at::Tensor& real_or_inputs);

  // {"fd", "precision", "recall", "density", "coverage", "labels": {...}, "n", "extractor"}.
  nlohmann::json evaluate(models::Generator& g) const;
  const metrics::ExtractorInfo& extractor() const { return extractor_.info(); }

private:
  at::Tensor generate_features(models::Generator& g) const;
  EvalSettings settings_;
  metrics::FeatureExtractor extractor_;
  bool image_to_image_;
  at::Tensor inputs_;        // latents or input images
  at::Tensor real_features_; // [n, d]
};

// The bundled extractor's path, or nullopt when it is not installed.
std::optional<std::string> builtin_extractor_path();

} // namespace gs::jobs
