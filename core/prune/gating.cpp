#include "core/prune/gating.h"

#include <torch/torch.h>

namespace gs::prune {

at::Tensor gate_along(const at::Tensor& t, const at::Tensor& gate, int64_t dim, int64_t offset) {
  const int64_t n = t.size(dim), width = gate.numel();
  at::Tensor scale = gate.to(t.dtype());
  if (offset > 0 || offset + width < n) {
    const at::Tensor ones = torch::ones({n}, t.options().requires_grad(false));
    scale = torch::cat({ones.slice(0, 0, offset), scale, ones.slice(0, offset + width, n)});
  }
  std::vector<int64_t> shape(t.dim(), 1);
  shape[dim] = n;
  return t * scale.view(shape);
}

void backward_through_written(const at::Tensor& loss, const std::vector<at::Tensor>& params,
                              const std::vector<at::Tensor>& exprs, const at::Tensor& also) {
  const auto grads = torch::autograd::grad({loss}, params, {}, false, false, true);
  at::Tensor surrogate = also.defined() ? also : torch::zeros({});
  for (size_t i = 0; i < exprs.size(); ++i)
    if (grads[i].defined()) surrogate = surrogate + (exprs[i] * grads[i]).sum();
  if (surrogate.requires_grad()) surrogate.backward();
  for (size_t i = exprs.size(); i < params.size(); ++i)
    if (grads[i].defined()) params[i].mutable_grad() = grads[i].clone();
}

} // namespace gs::prune
