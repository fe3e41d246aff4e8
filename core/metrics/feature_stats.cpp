#include "core/metrics/feature_stats.h"

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
  if (n_ > 0 && x.size(1) != mean_.size(0))
    throw std::invalid_argument("feature dimension changed from " + std::to_string(mean_.size(0)) + " to " +
                                std::to_string(x.size(1)));
  const int64_t m = x.size(0);
  at::Tensor batch_mean = x.mean(0);
  at::Tensor centred = x - batch_mean;
  at::Tensor batch_scatter = centred.t().mm(centred);
  if (n_ == 0) {
    mean_ = batch_mean;
    scatter_ = batch_scatter;
  } else {
    const double total = static_cast<double>(n_ + m);
    at::Tensor delta = batch_mean - mean_;
    scatter_ = scatter_ + batch_scatter + delta.outer(delta) * (static_cast<double>(n_) * m / total);
    mean_ = mean_ + delta * (m / total);
  }
  n_ += m;
}

int64_t FeatureStats::dim() const {
  return n_ ? mean_.size(0) : 0;
}

at::Tensor FeatureStats::mean() const {
  if (n_ == 0) throw std::logic_error("no features were added");
  return mean_;
}

at::Tensor FeatureStats::covariance() const {
  if (n_ < 2) throw std::invalid_argument("a covariance needs at least 2 samples, got " + std::to_string(n_));
  return scatter_ / static_cast<double>(n_ - 1);
}

} // namespace gs::metrics
