// The direct route of transposed_conv(): a stride-2 transposed convolution whose phases read 2×2 input windows (4×4
// kernels: DCGAN's and pix2pix's), computed output phase by output phase in vector registers, without gradients.
#pragma once

#include <torch/nn/modules/conv.h>

namespace gs::models {

// Whether this build and CPU have the direct route's kernel (AVX2 and FMA on x86-64).
bool direct_supported();

// Whether the direct route can compute m->forward(x): a plain layer (see transposed_route()) with 2 × 2 phases of
// 2 × 2 taps, no gradients wanted, and direct_supported().
bool direct_applies(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

// m->forward(x) by the direct route; needs direct_applies.
at::Tensor transposed_direct(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

} // namespace gs::models
