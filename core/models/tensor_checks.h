// The conditions the CPU inference routes check before taking a tensor: float32 on the CPU, and whether autograd
// would want gradients through it (then LibTorch's differentiable operations run instead).
#pragma once

#include <ATen/core/Tensor.h>
#include <ATen/core/grad_mode.h>

namespace gs::models {

inline bool cpu_float(const at::Tensor& t) {
  return t.defined() && t.device().is_cpu() && t.scalar_type() == at::kFloat;
}

inline bool wants_grad(const at::Tensor& t) {
  return at::GradMode::is_enabled() && t.requires_grad();
}

} // namespace gs::models
