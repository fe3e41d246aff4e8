// Products of a feature matrix with itself, through BLAS's symmetric rank-k update (half a general product's work,
// like NumPy's `x.T @ x`) when this build links the BLAS LibTorch itself loads, else a general product. Double CPU
// tensors; only the upper triangle of each result is meaningful.
#pragma once
#include <ATen/core/Tensor.h>

namespace gs::metrics {

// c += xᵀ x for x [n, d] and c [d, d], upper triangle.
void add_gram_upper(at::Tensor& c, const at::Tensor& x);
// x xᵀ for x [n, d]: [n, n], upper triangle (the lower one is zero).
at::Tensor gram_rows_upper(const at::Tensor& x);
// Lᵀ S L for a lower-triangular L (its upper triangle is not read) and a symmetric S, both [d, d].
at::Tensor lower_congruence(const at::Tensor& l, const at::Tensor& s);
// The symmetric matrix whose upper triangle `c` holds.
at::Tensor symmetric_from_upper(const at::Tensor& c);

} // namespace gs::metrics
