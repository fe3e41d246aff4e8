#include "core/metrics/kid.h"

#include "core/metrics/feature_stats.h"
#include "core/metrics/gram.h"
#include "core/runtime.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

namespace gs::metrics {

KidResult kernel_inception_distance(const at::Tensor& real_in, const at::Tensor& fake_in, const KidOptions& opt) {
  const MatrixProductThreads threads;
  // Checked whole but kept as given: only each subset's rows are converted to double, not 2 x n x d values up front.
  check_features(real_in, "real features");
  check_features(fake_in, "fake features");
  const at::Tensor& real = real_in;
  const at::Tensor& fake = fake_in;
  if (real.size(1) != fake.size(1))
    throw std::invalid_argument("feature dimensions differ: real " + std::to_string(real.size(1)) + ", fake " +
                                std::to_string(fake.size(1)));
  if (opt.subsets < 1) throw std::invalid_argument("KID needs at least one subset");
  const int64_t m = std::min({opt.max_subset_size, real.size(0), fake.size(0)});
  if (m < 2) throw std::invalid_argument("KID needs at least 2 samples on each side");
  const double d = static_cast<double>(real.size(1));

  auto gen = at::make_generator<at::CPUGeneratorImpl>(opt.seed);
  std::vector<double> values;
  for (int s = 0; s < opt.subsets; ++s) {
    at::Tensor x =
        fake.index_select(0, torch::randperm(fake.size(0), gen, torch::kLong).narrow(0, 0, m).to(fake.device()))
            .to(torch::kDouble);
    at::Tensor y =
        real.index_select(0, torch::randperm(real.size(0), gen, torch::kLong).narrow(0, 0, m).to(real.device()))
            .to(torch::kDouble);
    // Off-diagonal kernel sums of a symmetric matrix: twice its strict upper triangle, which is all the symmetric
    // products compute.
    auto off_diagonal = [&](const at::Tensor& z) { return 2 * (gram_rows_upper(z) / d + 1).pow(3).triu(1).sum(); };
    const at::Tensor b = (x.mm(y.t()) / d + 1).pow(3);
    const double within = (off_diagonal(x) + off_diagonal(y)).item<double>() / static_cast<double>(m - 1);
    const double across = b.sum().item<double>() * 2.0 / static_cast<double>(m);
    values.push_back((within - across) / static_cast<double>(m));
  }
  KidResult r;
  r.subsets = opt.subsets;
  r.subset_size = m;
  for (double v : values) r.mean += v;
  r.mean /= static_cast<double>(values.size());
  for (double v : values) r.std += (v - r.mean) * (v - r.mean);
  r.std = std::sqrt(r.std / static_cast<double>(values.size()));
  return r;
}

} // namespace gs::metrics
