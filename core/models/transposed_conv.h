// Transposed convolution that picks the faster CPU route for the input at hand.
#pragma once

#include <torch/nn/modules/conv.h>

namespace gs::models {

enum class TransposedRoute {
  Library,       // LibTorch's own transposed convolution (m->forward)
  MatrixProduct, // inputs of at most 4×4 pixels: one matrix product plus col2im
  Phases,        // wide layers on larger inputs: one ordinary convolution per output phase, interleaved
};

// Which route transposed_conv takes. On the CPU, for float32, groups 1, dilation 1 and zero padding:
// MatrixProduct up to 4×4 input pixels (DCGAN's and SSD's first two layers, the inner U-Net decoder), measured
// 1.5–4× faster there at batch 16 on one thread with Debian's LibTorch; Phases when at least 64 channels go in, 32
// come out and batch × input pixels is at least 512 (the wider decoder layers of DCGAN, pix2pix and CycleGAN), where
// LibTorch's own CPU kernel is a matrix product plus col2im as well and oneDNN's ordinary convolutions are faster;
// Library otherwise (narrow layers: a convolution per phase then costs more than it saves). docs/benchmarks.md has
// the measurements.
TransposedRoute transposed_route(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

// Same result as m->forward(x), to float rounding, with gradients, by the route above.
at::Tensor transposed_conv(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

} // namespace gs::models
