// The direct route of transposed_conv(): a stride-2 transposed convolution whose phases read 2×2 input windows (4×4
// kernels: DCGAN's and pix2pix's), computed output phase by output phase in vector registers, without gradients.
#pragma once

#include <torch/nn/modules/conv.h>

namespace gs::models {

// Whether the direct route can compute m->forward(x): a plain layer (see transposed_route()) with 2 × 2 phases of
// 2 × 2 taps, no gradients wanted, and a CPU with AVX2 and FMA (cpu_has_avx2_fma() in core/runtime.h).
bool direct_applies(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

// m->forward(x) by the direct route; needs direct_applies.
at::Tensor transposed_direct(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

} // namespace gs::models
