// Precision / recall (Kynkäänniemi et al. 2019) and density / coverage (Naeem et al. 2020) of feature sets.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstddef>
#include <cstdint>

namespace gs::metrics {

// Conventions (those of the reference `prdc` package): Euclidean distance; a sample's radius is the distance to
// its k-th nearest neighbour in its own set, itself excluded; "inside a ball" is a strict `<`.
//   precision = share of fake samples inside at least one real ball
//   recall    = share of real samples inside at least one fake ball
//   density   = (1 / kM) Σ_fake (number of real balls containing it)
//   coverage  = share of real samples whose ball contains at least one fake sample
struct PrdcOptions {
  int k = 3;
  size_t memory_bytes = size_t(1) << 30; // bound on the distance blocks held at once
  int k_density = 0; // k of density / coverage when it differs from precision / recall's (0 = the same k); one pass
                     // over the fake-vs-real distances then serves both
};

struct PrdcResult {
  double precision = 0, recall = 0, density = 0, coverage = 0;
};

PrdcResult precision_recall_density_coverage(const at::Tensor& real, const at::Tensor& fake,
                                             const PrdcOptions& options = {});

// Distance from each row of `x` to its k-th nearest other row, computed in row blocks under `memory_bytes`.
at::Tensor kth_neighbour_distances(const at::Tensor& x, int k, size_t memory_bytes);

} // namespace gs::metrics
