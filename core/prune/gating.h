// Internal to core/prune: scaling a weight's channels along one axis by a per-channel tensor (learned gates, relaxed
// masks), as an autograd expression.
#pragma once
#include <ATen/core/Tensor.h>

namespace gs::prune {

// `t` with entries [offset, offset + gate.numel()) along `dim` multiplied by `gate`; the rest unchanged.
at::Tensor gate_along(const at::Tensor& t, const at::Tensor& gate, int64_t dim, int64_t offset);

} // namespace gs::prune
