// Fréchet distance between two Gaussians fitted to feature sets (FID when the features are Inception-v3's).
#pragma once
#include "core/metrics/feature_stats.h"

namespace gs::metrics {

// ‖μ₁−μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2 Tr (Σ₁Σ₂)^½ in double precision. The last trace is Σ √λᵢ over the eigenvalues of
// the symmetric PSD matrix √Σ₁ Σ₂ √Σ₁ (similar to Σ₁Σ₂, which is not symmetric), tiny negative round-off clamped
// to zero; rank-deficient covariances (fewer samples than dimensions) are fine.
double frechet_distance(const at::Tensor& mu1, const at::Tensor& sigma1, const at::Tensor& mu2,
                        const at::Tensor& sigma2);
double frechet_distance(const FeatureStats& a, const FeatureStats& b);

} // namespace gs::metrics
