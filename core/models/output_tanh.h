// tanh for generators' outputs: LibTorch 1.13's CPU tanh took 45 µs for a batch of sixteen 32×32 DCGAN images (a
// tenth of a pruned student's forward pass); this one is a vectorised exp-based form, within 3e-7 of std::tanh.
#pragma once

#include "core/models/direct_kernel.h"
#include "core/runtime.h"

#include <ATen/core/Tensor.h>

namespace gs::models {

// at::tanh(x); float32 CPU tensors that need no gradient take the vectorised form, in the vectors `width` allows
// (AVX-512, AVX2, SSE2).
at::Tensor output_tanh(const at::Tensor& x, VectorWidth width = VectorWidth::Widest);

// The same over each output plane a route writes, in place, while the plane is still in the cache.
direct::PlaneFinish output_tanh_finish(VectorWidth width = VectorWidth::Widest);

} // namespace gs::models
