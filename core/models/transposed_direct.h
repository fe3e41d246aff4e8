// The direct route of transposed_conv(): a stride-2 transposed convolution whose phases read 2×2 input windows (4×4
// kernels: DCGAN's and pix2pix's; CycleGAN's 3×3), without gradients. Each phase is summed straight from the batch's
// zero-padded input planes in vector registers, a block of output channels at a time: no convolution of shared 3×3
// windows (2.25× the multiply-adds) and no vectors padded out along narrow channel counts, which is what made
// oneDNN slow on pruned students' 10–40 channels.
#pragma once

#include "core/models/direct_kernel.h"

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

namespace gs::models {

// Whether the direct route can compute m->forward(x): a plain layer (see transposed_route()) with 2 × 2 phases of
// 2 × 2 taps, no gradients wanted, and a CPU with AVX2 and FMA (cpu_has_avx2_fma() in core/runtime.h).
bool direct_applies(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

// m->forward(x) by the direct route; needs direct_applies. With norm_relu, m->forward(relu(norm_relu->forward(x))) for
// a batch norm in eval mode: the norm and ReLU are applied while the input is laid out for the route, in the same pass.
at::Tensor transposed_direct(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x,
                             const torch::nn::BatchNorm2dImpl* norm_relu = nullptr,
                             VectorWidth width = VectorWidth::Widest);

} // namespace gs::models
