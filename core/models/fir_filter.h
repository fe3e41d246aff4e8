// StyleGAN2's per-channel filtering and its 1 × 1 modulated convolution computed directly on the CPU, for inference:
// LibTorch runs them as a zero-inserting pad and a depthwise convolution, and as a convolution into 3 channels, whose
// costs hardly shrink with a pruned generator's widths (the 32 px demo's 70% student spent a third of its time there).
#pragma once

#include <ATen/core/Tensor.h>

namespace gs::models {

// Whether fir_direct computes upfir2d(x, kernel, up, pad0, pad1): float32 CPU tensors, x [n, c, h, w], a square
// kernel of at most 8 × 8, up 1 or 2, pads at least 0, no gradients wanted, a non-empty output.
bool fir_direct_applies(const at::Tensor& x, const at::Tensor& kernel, int64_t up, int64_t pad0, int64_t pad1);

// upfirdn2d with down = 1, as upstream: zero-insertion up-sampling by `up`, zero padding (pad0 before, pad1 after, on
// both axes), then true convolution of every channel with `kernel`. Rows of the up-sampled image that are all zeros
// are skipped.
at::Tensor fir_direct(const at::Tensor& x, const at::Tensor& kernel, int64_t up, int64_t pad0, int64_t pad1);

// Whether modulated_pointwise applies: float32 CPU tensors x [b, in, h, w], weight [out, in], style [b, in], no
// gradients wanted.
bool modulated_pointwise_applies(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& style);

// out[b, o] = Σ_i weight[o, i] · style[b, i] · x[b, i]: a 1 × 1 convolution of the modulated input (StyleGAN2's
// ToRGB), each sample's weights scaled once instead of every input pixel.
at::Tensor modulated_pointwise(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& style);

} // namespace gs::models
