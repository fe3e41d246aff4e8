#include "core/metrics/feature_stats.h"

#include "core/metrics/gram.h"
#include "core/runtime.h"

#include <torch/torch.h>

#include <stdexcept>

namespace gs::metrics {

namespace {

void check_shape(const at::Tensor& features, const char* what) {
  if (features.dim() != 2)
    throw std::invalid_argument(std::string(what) + " must be a 2-D [samples, dims] matrix, got " +
                                std::to_string(features.dim()) + " dimensions");
  if (features.size(0) == 0 || features.size(1) == 0) throw std::invalid_argument(std::string(what) + " are empty");
}

[[noreturn]] void not_finite(const char* what) {
  throw std::invalid_argument(std::string(what) + " contain NaN or infinite values");
}

// x - k in double, [n, d], in one pass over x for float CPU features (the usual case; through a double copy else).
at::Tensor shifted_double(const at::Tensor& x, const at::Tensor& k) {
  if (!x.is_cpu() || x.scalar_type() != at::kFloat || !x.is_contiguous()) return x.to(torch::kDouble) - k;
  const int64_t n = x.size(0), d = x.size(1);
  at::Tensor out = at::empty({n, d}, k.options());
  const float* in = x.data_ptr<float>();
  const double* shift = k.data_ptr<double>();
  double* o = out.data_ptr<double>();
  at::parallel_for(0, n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      for (int64_t j = 0; j < d; ++j) o[i * d + j] = static_cast<double>(in[i * d + j]) - shift[j];
  });
  return out;
}

} // namespace

void check_features(const at::Tensor& features, const char* what) {
  check_shape(features, what);
  // On the features as given: isfinite over float32 is one fast pass, over a double copy 20x slower.
  if (!torch::isfinite(features).all().item<bool>()) not_finite(what);
}

at::Tensor checked_features(const at::Tensor& features, const char* what) {
  check_features(features, what);
  return features.to(torch::kDouble);
}

void FeatureStats::add(const at::Tensor& features) {
  const MatrixProductThreads threads;
  check_shape(features, "features");
  if (n_ > 0 && features.size(1) != shift_.size(0))
    throw std::invalid_argument("feature dimension changed from " + std::to_string(shift_.size(0)) + " to " +
                                std::to_string(features.size(1)));
  // Nothing is changed until the batch has passed its checks.
  const at::Tensor shift = n_ > 0 ? shift_ : features.mean({0}, false, torch::kDouble);
  const at::Tensor shifted = shifted_double(features, shift).contiguous();
  const at::Tensor column_sums = shifted.sum(0);
  // A NaN or an infinity anywhere leaves its column's sum NaN or infinite, and double sums of float features cannot
  // overflow: checking d sums instead of n x d values saves a pass over the batch.
  if (!torch::isfinite(column_sums).all().item<bool>() || !torch::isfinite(shift).all().item<bool>())
    not_finite("features");
  if (n_ == 0) {
    shift_ = shift;
    sum_ = torch::zeros_like(shift_);
    scatter_ = torch::zeros({shift_.size(0), shift_.size(0)}, shift_.options());
  }
  sum_ += column_sums;
  add_gram_upper(scatter_, shifted); // accumulated in place: no d x d temporaries per batch
  n_ += features.size(0);
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
  at::Tensor c = symmetric_from_upper(scatter_);
  return c.addr_(m, m, 1.0, -static_cast<double>(n_)).div_(static_cast<double>(n_ - 1));
}

} // namespace gs::metrics
