// Streaming mean and unbiased covariance of feature vectors, so samples never need to be held in memory at once.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace gs::metrics {

class FeatureStats {
public:
  // Adds a batch of features [n, d]. Batches are merged with Chan's parallel update in double precision, which
  // stays accurate where summing x and x·xᵀ separately would cancel.
  void add(const at::Tensor& features);
  int64_t count() const { return n_; }
  int64_t dim() const;
  at::Tensor mean() const;       // [d], double
  at::Tensor covariance() const; // [d, d], double, divided by n - 1

private:
  int64_t n_ = 0;
  at::Tensor mean_;    // double [d]
  at::Tensor scatter_; // double [d, d]: Σ (x - mean)(x - mean)ᵀ
};

// Features as a double [n, d] matrix, after checking they are 2-D, non-empty and finite; `what` names them in errors.
at::Tensor checked_features(const at::Tensor& features, const char* what);

} // namespace gs::metrics
