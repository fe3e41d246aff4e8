// Transposed convolution that picks the faster CPU route for small inputs.
#pragma once

#include <torch/nn/modules/conv.h>

namespace gs::models {

// Same result as m->forward(x) (to float rounding). On the CPU, for inputs of at most 4×4 pixels (DCGAN's and SSD's
// first two layers, the inner U-Net decoder), one matrix product and col2im instead of oneDNN's transposed
// convolution: measured 1.5–4× faster there at batch 16 on one thread with Debian's LibTorch, slower from 8×8 up
// (docs/benchmarks.md).
at::Tensor transposed_conv(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);
// Whether transposed_conv takes the matrix-product route for this input.
bool small_input_route(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

} // namespace gs::models
