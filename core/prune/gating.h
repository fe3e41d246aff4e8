// Internal to core/prune: scaling a weight's channels along one axis by a per-channel tensor (learned gates, relaxed
// masks), as an autograd expression, and carrying a loss's gradients back through weights written into a module.
#pragma once
#include <ATen/core/Tensor.h>

#include <vector>

namespace gs::prune {

// `t` with entries [offset, offset + gate.numel()) along `dim` multiplied by `gate`; the rest unchanged.
at::Tensor gate_along(const at::Tensor& t, const at::Tensor& gate, int64_t dim, int64_t offset);

// Backward for a module whose first exprs.size() `params` hold values written from the autograd expressions `exprs`
// (generated or masked weights): d loss / d param is chained into each expression's inputs through a surrogate
// sum(expr * grad), together with `also` (another loss on those inputs; may be undefined). The remaining params get
// their gradients directly, copied: autograd may return a view (StyleGAN2's), which zero_grad() cannot detach.
void backward_through_written(const at::Tensor& loss, const std::vector<at::Tensor>& params,
                              const std::vector<at::Tensor>& exprs, const at::Tensor& also = {});

} // namespace gs::prune
