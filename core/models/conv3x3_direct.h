// 3 × 3 convolutions with stride 1 and padding 1 (StyleGAN2's synthesis layers) on the direct kernel
// (direct_kernel.h), without gradients: every output sums a 3 × 3 window of each zero-padded input plane in vector
// registers, a block of output channels at a time. oneDNN pads narrow channel counts out to 16 lanes: a pruned
// StyleGAN2's 10-channel 32 px layer ran at 28 GMAC/s there, its teacher's 32-channel one at 75.
#pragma once

#include "core/models/direct_kernel.h"
#include "core/runtime.h"

#include <ATen/core/Tensor.h>

namespace gs::models {

// Whether conv3x3_direct applies: float32 CPU tensors, x [n, in, h, w], weight [out, in, 3, 3], no gradients wanted, a
// CPU the direct kernel runs on.
bool conv3x3_direct_applies(const at::Tensor& x, const at::Tensor& weight);

// Whether the direct route is the faster one for this layer: channel counts oneDNN pads (no multiple of 16) always.
// With AVX-512 (a Zen 5, bench/bench_conv3x3 and a throwaway timer, 1 thread) every layer: on planes of at least
// 16 × 16 (32 → 32 at 32 px 1.37–1.56× at batch 16 and 64, 64 → 64 1.16–1.20×, 128 → 128 1.07–1.23×, at 16 px
// 1.10–1.38×); since interleaved slices hold 8 samples, at 8 × 8 (48 → 48 to 256 → 256 1.04–1.29× at batch 16,
// 1.06–1.12× at 64, 1.84–2.27× at 1) and at 4 × 4 (64 → 64 to 512 → 512 1.07–1.53× at batch 16, 128 → 128 1.00× at 64
// and 1.37× at 1). With AVX2 only (a Zen 3): at most 16 channels on planes of at least 16 × 16 (16 → 16 at 16 px 1.29×,
// 0.369 against 0.287 ms at batch 16); layers of at most 64 channels on planes of at most 8 × 8 (32 → 32 at 4 and
// 8 px 1.28–1.43×, 32 → 16 at 8 px 1.46–1.73×, 64 → 64 at 4 px 1.65×, 2.64×, 1.36–1.45× and 1.09–1.21× at batch 1, 2,
// 16 and 64); and every layer on 8 and 16 px planes whose rows are whole vectors (64 → 64 at 8 px 1.16–1.23× at batch
// 16 and 64, 128 → 128 1.32×, 32 → 32 and 64 → 64 at 16 px 1.09–1.13× at 16, 0.93–1.14× at 64); at 32 px they were
// level there (32 → 32 0.95–1.03×, 64 → 64 1.01×, 128 → 128 0.99×).
bool conv3x3_direct_pays(const at::Tensor& x, const at::Tensor& weight);

// conv2d(x · scale, weight, bias, stride 1, padding 1), where scale [n, in] multiplies each sample's input channels
// as the input is laid out (undefined: no scaling; StyleGAN2's modulation) and bias may be undefined; `finish` then
// works on each output plane as it is written.
at::Tensor conv3x3_direct(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                          const at::Tensor& scale, VectorWidth width = VectorWidth::Widest,
                          const direct::PlaneFinish& finish = {});

} // namespace gs::models
