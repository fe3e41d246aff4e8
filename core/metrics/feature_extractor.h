// Pluggable feature extractors for the metrics: the standard Inception-v3 TorchScript file, or any TorchScript
// module that maps images to feature vectors. Numbers are labelled after the extractor that produced them.
#pragma once
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>

namespace gs::metrics {

enum class ExtractorKind {
  StandardInception, // the StyleGAN2-ADA / clean-fid inception-2015-12-05.pt: uint8 NCHW in, 2048-d features out
  Builtin,           // the small extractor this project trains and ships (labels "FD-builtin", "P/R-builtin")
  Custom,            // any other TorchScript module
};

struct ExtractorInfo {
  std::string path;
  ExtractorKind kind = ExtractorKind::Custom;
  int64_t dims = 0;
  // Prefix for metric labels: "FID" only for the standard extractor; "FD-builtin" / "FD-custom" otherwise.
  std::string fd_label;
  std::string suffix; // "" for the standard extractor, "-builtin" / "-custom" otherwise (for P/R, KID, ...)
  std::string describe() const;
};

class FeatureExtractor {
public:
  // Loads a TorchScript file the user chose (TorchScript is executed: only load extractors you trust) and probes it
  // once to learn its output size. `builtin` marks the project's own bundled extractor. Throws std::runtime_error
  // naming the file when it cannot be loaded or does not map [N,3,H,W] uint8 images to [N,D] features.
  static FeatureExtractor load(const std::string& path, bool builtin = false);

  // images: uint8 [N,C,H,W] with C = 1 or 3 (grey images are repeated to RGB). Returns float32 [N,D] on the CPU.
  at::Tensor features(const at::Tensor& images) const;
  const ExtractorInfo& info() const { return info_; }

  FeatureExtractor(FeatureExtractor&&) noexcept;
  FeatureExtractor& operator=(FeatureExtractor&&) noexcept;
  ~FeatureExtractor();

private:
  FeatureExtractor();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ExtractorInfo info_;
};

} // namespace gs::metrics
