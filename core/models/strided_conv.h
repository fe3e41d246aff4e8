// Stride-2 convolutions with 4×4 kernels and padding 1 (pix2pix's encoder) on the direct kernel (direct_kernel.h),
// without gradients: the input split into its four polyphase planes per channel (even and odd rows × columns), so
// that the layer is a 2×2-tap sum over 4 × channels planes.
#pragma once

#include "core/models/direct_kernel.h"

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

namespace gs::models {

// Whether strided_direct can compute m->forward(x): float32 on the CPU, 4×4 kernel, stride 2, padding 1 (zeros),
// dilation 1, groups 1, even input height and width, no gradients wanted, and a CPU the direct kernel runs on.
bool strided_direct_applies(const torch::nn::Conv2dImpl& m, const at::Tensor& x);

// m->forward(x) by the direct route; needs strided_direct_applies.
at::Tensor strided_direct(torch::nn::Conv2dImpl& m, const at::Tensor& x, VectorWidth width = VectorWidth::Widest);

// strided_direct(m, leaky_relu(norm(x), slope)) for a batch norm in eval mode (or null: none) in one pass: the norm and
// activation applied while the input is laid out.
at::Tensor strided_direct(torch::nn::Conv2dImpl& m, const at::Tensor& x, const torch::nn::BatchNorm2dImpl* norm,
                          double slope, VectorWidth width = VectorWidth::Widest);

// Whether strided_conv takes the direct route, where it applies: from at most 4 input channels (an image's), from
// at most 50 into a number oneDNN pads (no multiple of 16) where the outputs are at least 8 × 8 or at most 8 channels,
// and for any widths where the outputs are narrower than a vector and the batch lays them out interleaved (8 × 8 and
// smaller with AVX-512, 4 × 4 and smaller with AVX2; at batch 16 on a Zen 5 with AVX-512, against oneDNN: the pix2pix
// demo's 64 → 128 from 8 × 8 1.7×, 128 → 128 from 4 × 4 2.4×, a 70% student's 20 → 39 and 39 → 39 3.0× and 3.5×;
// with the AVX2 kernel forced there in a local build and oneDNN limited to AVX2 by DNNL_MAX_CPU_ISA: 1.14×, 1.28×, 1.9×
// and 2.0×).
// oneDNN pads channels out to 16-lane blocks and was 1.3–2.1× slower there at batch 16 (7 → 18, 18 → 26, 28 → 17 of
// pruned students, and the RGB input layer). Elsewhere it was as fast or faster: from wider inputs, into multiples of
// 16, and on small outputs of many channels (up to 4× on 2 × 2 outputs, where the direct planes' gap row and column
// cost more than the outputs, measured before the interleaved layout). With AVX2 only, a padded input into 16 outputs
// counts too (batch 16, oneDNN against direct: 12 → 16 at 16 px 180 against 124 µs, a pix2pix local-density student's;
// 8 → 16 at 32 px 312 against 279; 14 → 16 at 32 px 805 against 663); into 32 or more oneDNN stayed as fast or faster
// (24 → 32 at 16 px 347 against 456, 40 → 48 904 against 1145, 27 → 48 level).
bool strided_conv_route_is_direct(const torch::nn::Conv2dImpl& m, const at::Tensor& x);

// A 2 × 2 input (a U-Net's innermost down-sampling layer) gives one output pixel, which reads only the kernel's
// central 2 × 2 taps: a matrix product of each sample's 4 × channels values with them (kept by derived_weight()), with
// gradients too, where oneDNN multiplies all 16 taps (12 of them with the zero padding). 5–9× faster (bench/
// bench_strided_conv: 128 → 128 at batch 16 0.20 against 0.039 ms; 512 → 512 at batch 1 3.1 against 0.56). For the
// same layers as strided_direct_applies, at any batch, from 2 × 2.
bool single_pixel_applies(const torch::nn::Conv2dImpl& m, const at::Tensor& x);
at::Tensor single_pixel(torch::nn::Conv2dImpl& m, const at::Tensor& x);

// m->forward(x): single_pixel where it applies, by the direct route where strided_conv_route_is_direct, by LibTorch
// otherwise. bench/bench_strided_conv measures the routes on the zoo's layers.
at::Tensor strided_conv(torch::nn::Conv2dImpl& m, const at::Tensor& x);

// strided_conv(m, leaky_relu(norm(x), slope)) (norm: a batch norm, or null for none): by strided_direct with the norm
// and activation applied as the input is laid out where the direct route is taken, the norm in eval mode and no
// gradients wanted; otherwise in steps.
at::Tensor strided_conv_after_norm_leaky(torch::nn::Conv2dImpl& m, torch::nn::BatchNorm2dImpl* norm,
                                         const at::Tensor& x, double slope);

} // namespace gs::models
