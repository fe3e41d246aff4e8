// Streaming mean and unbiased covariance of feature vectors, so samples never need to be held in memory at once.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace gs::metrics {

class FeatureStats {
public:
  // Adds a batch of features [n, d]. Sums of x - K and (x - K)(x - K)ᵀ are accumulated in double precision with K the
  // first batch's mean (the shifted-data algorithm): as accurate as merging centred batches, since K is close to the
  // mean, without a d x d temporary per batch.
  void add(const at::Tensor& features);
  int64_t count() const { return n_; }
  int64_t dim() const;
  at::Tensor mean() const;       // [d], double
  at::Tensor covariance() const; // [d, d], double, divided by n - 1

private:
  int64_t n_ = 0;
  at::Tensor shift_;   // double [d]: K
  at::Tensor sum_;     // double [d]: Σ (x - K)
  at::Tensor scatter_; // double [d, d]: Σ (x - K)(x - K)ᵀ
};

// Throws std::invalid_argument unless the features are a 2-D, non-empty, finite matrix; `what` names them in errors.
void check_features(const at::Tensor& features, const char* what);
// The features as a double [n, d] matrix, after check_features.
at::Tensor checked_features(const at::Tensor& features, const char* what);

} // namespace gs::metrics
