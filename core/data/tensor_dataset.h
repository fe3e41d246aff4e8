// A dataset held in memory as one uint8 [N, C, H, W] tensor: Fashion-MNIST and tensor caches.
#pragma once
#include "core/data/dataset.h"

namespace gs::data {

class TensorDataset : public Dataset {
public:
  // Resizes and converts channels once, up front, per `options`.
  TensorDataset(at::Tensor images, at::Tensor labels, std::string description, const DatasetOptions& options);
  int64_t size() const override;
  Sample get(int64_t index) const override;
  std::string describe() const override { return description_; }
  const at::Tensor& images() const { return images_; }

private:
  at::Tensor images_, labels_;
  std::string description_;
};

// Shared by every dataset: uint8 [C,H,W] (or [N,C,H,W]) to `channels` channels and `size` x `size` pixels
// (shorter side resized with area averaging when shrinking, then centre-cropped).
at::Tensor conform(const at::Tensor& images, const DatasetOptions& options);

} // namespace gs::data
