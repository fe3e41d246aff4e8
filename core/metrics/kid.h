// Kernel Inception Distance: unbiased MMD² with the cubic polynomial kernel, averaged over random subsets.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace gs::metrics {

struct KidOptions {
  int subsets = 100;
  int64_t max_subset_size = 1000;
  uint64_t seed = 0;
};

struct KidResult {
  double mean = 0;
  double std = 0; // across subsets
  int subsets = 0;
  int64_t subset_size = 0;
};

// k(x, y) = (x·y / d + 1)³. Each subset draws min(max_subset_size, n_real, n_fake) samples from each side without
// replacement and computes the unbiased MMD² (diagonal terms excluded), as the StyleGAN2-ADA / clean-fid tools do.
KidResult kernel_inception_distance(const at::Tensor& real, const at::Tensor& fake, const KidOptions& options = {});

} // namespace gs::metrics
