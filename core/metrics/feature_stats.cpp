#include "core/metrics/feature_stats.h"

#include "core/metrics/gram.h"

#include <torch/torch.h>

#include <stdexcept>

namespace gs::metrics {

at::Tensor checked_features(const at::Tensor& features, const char* what) {
  if (features.dim() != 2)
    throw std::invalid_argument(std::string(what) + " must be a 2-D [samples, dims] matrix, got " +
                                std::to_string(features.dim()) + " dimensions");
  if (features.size(0) == 0 || features.size(1) == 0) throw std::invalid_argument(std::string(what) + " are empty");
  at::Tensor x = features.to(torch::kDouble);
  if (!torch::isfinite(x).all().item<bool>())
    throw std::invalid_argument(std::string(what) + " contain NaN or infinite values");
  return x;
}

void FeatureStats::add(const at::Tensor& features) {
  at::Tensor x = checked_features(features, "features");
  if (n_ > 0 && x.size(1) != shift_.size(0))
    throw std::invalid_argument("feature dimension changed from " + std::to_string(shift_.size(0)) + " to " +
                                std::to_string(x.size(1)));
  if (n_ == 0) {
    shift_ = x.mean(0);
    sum_ = torch::zeros_like(shift_);
    scatter_ = torch::zeros({x.size(1), x.size(1)}, x.options());
  }
  const at::Tensor shifted = x - shift_;
  sum_ += shifted.sum(0);
  add_gram_upper(scatter_, shifted.contiguous()); // accumulated in place: no d x d temporaries per batch
  n_ += x.size(0);
}

int64_t FeatureStats::dim() const {
  return n_ ? shift_.size(0) : 0;
}

at::Tensor FeatureStats::mean() const {
  if (n_ == 0) throw std::logic_error("no features were added");
  return shift_ + sum_ / static_cast<double>(n_);
}

at::Tensor FeatureStats::covariance() const {
  if (n_ < 2) throw std::invalid_argument("a covariance needs at least 2 samples, got " + std::to_string(n_));
  // Σ (x - K)(x - K)ᵀ - n m mᵀ with m the mean of x - K: no cancellation to speak of while K is near the mean.
  const at::Tensor m = sum_ / static_cast<double>(n_);
  return (symmetric_from_upper(scatter_) - torch::outer(m, m) * static_cast<double>(n_)) / static_cast<double>(n_ - 1);
}

} // namespace gs::metrics
