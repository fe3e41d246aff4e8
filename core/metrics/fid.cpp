#include "core/metrics/fid.h"

#include "core/metrics/gram.h"
#include "core/runtime.h"

#include <torch/torch.h>

#include <stdexcept>

namespace gs::metrics {

double frechet_distance(const at::Tensor& mu1, const at::Tensor& sigma1, const at::Tensor& mu2,
                        const at::Tensor& sigma2) {
  const MatrixProductThreads threads;
  const int64_t d = mu1.size(0);
  if (mu2.size(0) != d || sigma1.size(0) != d || sigma2.size(0) != d)
    throw std::invalid_argument("feature dimensions differ: " + std::to_string(d) + " vs " +
                                std::to_string(mu2.size(0)));
  at::Tensor s1 = sigma1.to(torch::kDouble), s2 = sigma2.to(torch::kDouble);
  // Tr((Σ₁Σ₂)^½) is the sum of the square roots of Σ₁Σ₂'s eigenvalues, which every symmetric product similar to it
  // shares. With Σ₁ = L Lᵀ positive definite, Lᵀ Σ₂ L = L⁻¹ (Σ₁Σ₂) L is one, and a Cholesky factor costs a tenth of
  // an eigendecomposition. A rank-deficient Σ₁ (fewer samples than dimensions) has no Cholesky factor: then √Σ₁ from
  // its eigendecomposition and √Σ₁ Σ₂ √Σ₁.
  at::Tensor m;
  auto [chol, info] = at::linalg_cholesky_ex(s1);
  if (info.item<int64_t>() == 0) {
    m = lower_congruence(chol, s2);
  } else {
    auto [l1, v1] = torch::linalg::eigh(s1, "L");
    const at::Tensor sqrt_s1 = (v1 * l1.clamp_min(0).sqrt()).mm(v1.t());
    m = sqrt_s1.mm(s2).mm(sqrt_s1);
  }
  m = (m + m.t()) * 0.5; // symmetric up to round-off; make it exactly so for eigvalsh
  at::Tensor lambdas = torch::linalg::eigvalsh(m, "L").clamp_min(0);
  const double trace_sqrt = lambdas.sqrt().sum().item<double>();
  const double mean_term = (mu1.to(torch::kDouble) - mu2.to(torch::kDouble)).pow(2).sum().item<double>();
  return mean_term + s1.trace().item<double>() + s2.trace().item<double>() - 2.0 * trace_sqrt;
}

double frechet_distance(const FeatureStats& a, const FeatureStats& b) {
  return frechet_distance(a.mean(), a.covariance(), b.mean(), b.covariance());
}

} // namespace gs::metrics
