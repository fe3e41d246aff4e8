#include "core/data/tensor_dataset.h"

#include <torch/torch.h>

namespace gs::data {

at::Tensor conform(const at::Tensor& images, const DatasetOptions& options) {
  const bool single = images.dim() == 3;
  at::Tensor x = single ? images.unsqueeze(0) : images;
  if (x.dim() != 4 || x.scalar_type() != torch::kUInt8)
    throw std::invalid_argument("images must be uint8 [N, C, H, W], got " + c10::str(x.sizes()));
  if (x.size(1) == 4) x = x.narrow(1, 0, 3); // alpha is composited by the decoders; here it is dropped
  if (options.channels == 3 && x.size(1) == 1) x = x.expand({-1, 3, -1, -1});
  if (options.channels == 1 && x.size(1) == 3) {
    at::Tensor w = torch::tensor({0.299f, 0.587f, 0.114f}).view({1, 3, 1, 1});
    x = (x.to(torch::kFloat) * w).sum(1, true).round().clamp(0, 255).to(torch::kUInt8);
  }
  if (options.size > 0 && (x.size(2) != options.size || x.size(3) != options.size)) {
    const double scale = static_cast<double>(options.size) / std::min(x.size(2), x.size(3));
    const int64_t h = std::max<int64_t>(options.size, std::llround(x.size(2) * scale));
    const int64_t w = std::max<int64_t>(options.size, std::llround(x.size(3) * scale));
    namespace F = torch::nn::functional;
    at::Tensor f = x.to(torch::kFloat);
    f = scale < 1 ? F::adaptive_avg_pool2d(f, F::AdaptiveAvgPool2dFuncOptions({h, w}))
                  : F::interpolate(f, F::InterpolateFuncOptions()
                                          .size(std::vector<int64_t>{h, w})
                                          .mode(torch::kBilinear)
                                          .align_corners(false));
    f = f.narrow(2, (h - options.size) / 2, options.size).narrow(3, (w - options.size) / 2, options.size);
    x = f.round().clamp(0, 255).to(torch::kUInt8);
  }
  x = x.contiguous();
  return single ? x.squeeze(0) : x;
}

TensorDataset::TensorDataset(at::Tensor images, at::Tensor labels, std::string description,
                             const DatasetOptions& options)
    : images_(conform(images, options)), labels_(std::move(labels)), description_(std::move(description)) {
  if (images_.size(0) == 0) throw std::runtime_error(description_ + ": dataset is empty");
  if (labels_.defined() && labels_.size(0) != images_.size(0))
    throw std::runtime_error(description_ + ": " + std::to_string(labels_.size(0)) + " labels for " +
                             std::to_string(images_.size(0)) + " images");
}

int64_t TensorDataset::size() const {
  return images_.size(0);
}

Sample TensorDataset::get(int64_t index) const {
  Sample s;
  s.image = images_[index];
  if (labels_.defined()) s.label = labels_[index].item<int64_t>();
  return s;
}

} // namespace gs::data
