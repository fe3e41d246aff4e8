#include "core/metrics/feature_stats.h"

#include <torch/torch.h>

#include <stdexcept>

#ifdef GANSTUDIO_HAVE_BLAS
extern "C" void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha,
                       const double* a, const int* lda, const double* beta, double* c, const int* ldc);
#endif

namespace gs::metrics {
namespace {

// scatter += xᵀ x. With the BLAS LibTorch loads, its symmetric rank-k update fills only the upper triangle (half a
// general product's work; covariance() mirrors it); otherwise a full in-place product.
void add_gram(at::Tensor& scatter, const at::Tensor& x) {
#ifdef GANSTUDIO_HAVE_BLAS
  if (x.is_cpu() && x.is_contiguous() && scatter.is_contiguous() && x.size(0) < (int64_t{1} << 31) &&
      x.size(1) < (int64_t{1} << 31)) {
    // Row-major x [n, d] is column-major A = xᵀ [d, n]; A Aᵀ into the column-major lower triangle, which is the
    // row-major upper one.
    const int d = static_cast<int>(x.size(1)), n = static_cast<int>(x.size(0));
    const double one = 1;
    dsyrk_("L", "N", &d, &n, &one, x.data_ptr<double>(), &d, &one, scatter.data_ptr<double>(), &d);
    return;
  }
#endif
  scatter.addmm_(x.t(), x);
}

bool upper_only() {
#ifdef GANSTUDIO_HAVE_BLAS
  return true;
#else
  return false;
#endif
}

} // namespace

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
  add_gram(scatter_, shifted.contiguous()); // accumulated in place: no d x d temporaries per batch
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
  const at::Tensor full = upper_only() ? scatter_.triu() + scatter_.triu(1).t() : scatter_;
  return (full - torch::outer(m, m) * static_cast<double>(n_)) / static_cast<double>(n_ - 1);
}

} // namespace gs::metrics
