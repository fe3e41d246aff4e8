#include "core/metrics/prdc.h"

#include "core/metrics/feature_stats.h"
#include "core/runtime.h"

#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <stdexcept>

namespace gs::metrics {
namespace {

// Euclidean distances between the rows of a and b, via ‖a‖² + ‖b‖² − 2a·b (clamped at 0 against round-off).
at::Tensor distances(const at::Tensor& a, const at::Tensor& b, const at::Tensor& b_sq) {
  at::Tensor ab;
  {
    const MatrixProductThreads threads; // the product only: the comparisons after it run on LibTorch's threads
    ab = a.mm(b.t());
  }
  // In place on the product: no second [rows, n_b] block.
  return ab.mul_(-2).add_(a.pow(2).sum(1, true)).add_(b_sq.unsqueeze(0)).clamp_min_(0).sqrt_();
}

// Calls `visit(first_row, block_of_distances)` for blocks of rows of `a` against all of `b`.
void for_each_block(const at::Tensor& a, const at::Tensor& b, size_t memory_bytes,
                    const std::function<void(int64_t, const at::Tensor&)>& visit) {
  const at::Tensor b_sq = b.pow(2).sum(1);
  // Room for three [rows, n_b] double blocks: the distances and the visitor's comparisons (bool blocks).
  const int64_t rows =
      std::max<int64_t>(1, static_cast<int64_t>(memory_bytes / (3 * 8 * std::max<int64_t>(1, b.size(0)))));
  for (int64_t start = 0; start < a.size(0); start += rows) {
    const int64_t n = std::min(rows, a.size(0) - start);
    visit(start, distances(a.narrow(0, start, n), b, b_sq));
  }
}

} // namespace

at::Tensor kth_neighbour_distances(const at::Tensor& x, int k, size_t memory_bytes) {
  if (k < 1) throw std::invalid_argument("k must be at least 1");
  if (x.size(0) < k + 1)
    throw std::invalid_argument("k-nearest-neighbour radii need more than k=" + std::to_string(k) + " samples, got " +
                                std::to_string(x.size(0)));
  at::Tensor out = torch::empty({x.size(0)}, x.options());
  for_each_block(x, x, memory_bytes, [&](int64_t start, const at::Tensor& d) {
    // The k+1 smallest include the point itself at distance 0.
    out.narrow(0, start, d.size(0))
        .copy_(std::get<0>(d.topk(k + 1, 1, /*largest=*/false, /*sorted=*/true)).select(1, k));
  });
  return out;
}

PrdcResult precision_recall_density_coverage(const at::Tensor& real_in, const at::Tensor& fake_in,
                                             const PrdcOptions& opt) {
  at::Tensor real = checked_features(real_in, "real features");
  at::Tensor fake = checked_features(fake_in, "fake features");
  if (real.size(1) != fake.size(1))
    throw std::invalid_argument("feature dimensions differ: real " + std::to_string(real.size(1)) + ", fake " +
                                std::to_string(fake.size(1)));
  const at::Tensor real_radii = kth_neighbour_distances(real, opt.k, opt.memory_bytes);
  const at::Tensor fake_radii = kth_neighbour_distances(fake, opt.k, opt.memory_bytes);
  const int kd = opt.k_density > 0 ? opt.k_density : opt.k;
  const at::Tensor dc_radii = kd == opt.k ? real_radii : kth_neighbour_distances(real, kd, opt.memory_bytes);

  // One pass over fake-vs-real blocks serves all four: per fake row (precision, density) directly, per real
  // column (recall, coverage) by accumulating across blocks.
  int64_t precise = 0, inside = 0;
  at::Tensor recalled = torch::zeros({real.size(0)}, torch::kBool);
  at::Tensor nearest_fake = torch::full({real.size(0)}, INFINITY, real.options());
  for_each_block(fake, real, opt.memory_bytes, [&](int64_t start, const at::Tensor& d) {
    const at::Tensor within = d < real_radii.unsqueeze(0);
    precise += within.any(1).sum().item<int64_t>();
    inside += (kd == opt.k ? within : d < dc_radii.unsqueeze(0)).sum().item<int64_t>();
    recalled.logical_or_((d < fake_radii.narrow(0, start, d.size(0)).unsqueeze(1)).any(0));
    nearest_fake = torch::minimum(nearest_fake, std::get<0>(d.min(0)));
  });
  const int64_t n_recalled = recalled.sum().item<int64_t>();
  const int64_t covered = (nearest_fake < dc_radii).sum().item<int64_t>();
  const double n_real = static_cast<double>(real.size(0)), n_fake = static_cast<double>(fake.size(0));
  return {precise / n_fake, n_recalled / n_real, inside / (kd * n_fake), covered / n_real};
}

} // namespace gs::metrics
