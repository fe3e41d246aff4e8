// Transposed convolution that picks the faster CPU route for the input at hand.
#pragma once

#include "core/models/transposed_direct.h"

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

namespace gs::models {

enum class TransposedRoute {
  Library,       // LibTorch's own transposed convolution (m->forward)
  MatrixProduct, // small inputs: one matrix product (plus col2im beyond 1×1 pixels)
  Phases,        // one ordinary convolution whose output channels are the output phases, interleaved
  Direct, // stride 2 with 2×2-tap phases, without gradients: phases summed in vector registers (transposed_direct.h)
};

// Which route transposed_conv takes. On the CPU, for float32, groups 1, dilation 1 and zero padding:
// - MatrixProduct for 1×1 inputs without output padding (DCGAN's and SSD's first layer; the U-Net's innermost, whose
//   padding leaves the kernel's central 2×2 taps: 4–7× faster than Direct), and for at least 256 input channels on at
//   most 16 pixels of the whole batch (the inner U-Net decoder at batch 1);
// - without gradients, Direct for stride 2 with 2×2-tap phases from at most 40 input channels, into at most 8, where
//   oneDNN would pad (input channels no multiple of 16, output channels none of 4), at batch 1 (from at most 64
//   channels where the CPU has AVX2 but not AVX-512) or from 1×1 inputs (pruned students' layers, output layers, a
//   generated sample), except inputs of at most 4×4 pixels with at least 256 channels; and wherever it sums with the
//   samples innermost (direct_interleaves: planes narrower than a vector in a batch of whole vectors);
// - Phases when at least 8 channels come out (3 with gradients) and the phases fit (see phases_fit); with gradients
//   also batch × input pixels at least 256 and twice the input channels. LibTorch 1.13's CPU transposed convolution is
//   a matrix product plus col2im, batch item by batch item, and oneDNN's one convolution was 1.1–4.6× faster;
// - otherwise MatrixProduct for inputs of at most 2×2 pixels or at most 4×4 with at least 256 channels, Library for
//   the rest.
// bench/bench_transposed measures every route on the zoo's layers; docs/benchmarks.md has the figures.
TransposedRoute transposed_route(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

// Same result as m->forward(x), to float rounding, with gradients, by the route above.
at::Tensor transposed_conv(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

// transposed_conv(m, relu(norm->forward(x))): on the direct route, with a batch norm in eval mode and no gradients
// wanted, the norm and ReLU are applied while the route lays out its input (no passes of their own, which cost pruned
// students as much as a narrow layer); otherwise as three steps. `finish` and `finished` as for
// transposed_conv_of_parts.
at::Tensor transposed_conv_after_norm_relu(torch::nn::ConvTranspose2dImpl& m, torch::nn::BatchNorm2dImpl& norm,
                                           const at::Tensor& x, const direct::PlaneFinish& finish = {},
                                           bool* finished = nullptr);

// transposed_conv(m, cat of the parts as they are read, along channels), a U-Net decoder's input (the skip and the
// up-sampled half): on the direct route, with the parts' norms in eval mode and no gradients wanted, each part is laid
// out straight from its tensor, its norm and ReLU applied as it is copied (no concatenation, norm or ReLU pass);
// otherwise in steps. On the direct route `finish` then works on each output plane as it is written, and *finished
// (where given) says whether it did.
at::Tensor transposed_conv_of_parts(torch::nn::ConvTranspose2dImpl& m, const std::vector<InputPart>& parts,
                                    const direct::PlaneFinish& finish = {}, bool* finished = nullptr);

// A hidden layer as DCGAN has them: a batch norm and ReLU, then a transposed convolution.
struct NormConv {
  torch::nn::BatchNorm2dImpl* norm;
  torch::nn::ConvTranspose2dImpl* conv;
};

// transposed_conv_after_norm_relu through `layers` in turn, the first on x: where consecutive layers take the direct
// route, a DirectRun (the next layer's input laid out straight from the sums before). `finish` and `finished` as for
// transposed_conv_of_parts, for the last layer's output.
at::Tensor transposed_conv_run(const std::vector<NormConv>& layers, const at::Tensor& x,
                               const direct::PlaneFinish& finish = {}, bool* finished = nullptr);

// Whether `route` can compute this layer for x (Library always can), and the layer by that route (for tests and
// bench/bench_transposed; std::invalid_argument where it does not apply).
bool route_applies(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x, TransposedRoute route);
at::Tensor transposed_conv(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x, TransposedRoute route);

} // namespace gs::models
