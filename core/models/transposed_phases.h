// The phase route of transposed_conv(): a strided transposed convolution as one ordinary convolution whose output
// channels are the output phases, interleaved afterwards.
#pragma once

#include <torch/nn/modules/conv.h>

namespace gs::models {

// The layer's output size along spatial axis `axis` (0: rows, 1: columns) for input x.
int64_t transposed_output_size(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x, int axis);

// Whether every output phase has taps and the same size: the output size is a multiple of the stride, the kernel at
// least as large as the stride and the padding smaller than the kernel.
bool phases_fit(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

// m->forward(x) by phases, with gradients; needs phases_fit (and the plain layer of transposed_route()).
at::Tensor transposed_by_phases(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

// How many stacked kernels the route keeps for layers run without gradients (one per live weight), for tests.
size_t cached_phase_kernels();

} // namespace gs::models
