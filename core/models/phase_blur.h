// The blur after a stride-2 transposed convolution (StyleGAN2's up-sampling layers), summed straight from the
// convolution's four phases, where transposed_direct.h's route leaves them, instead of from a plane the phases are
// first interleaved into: on the 32 px demo's 70% student the interleaving took as long as the blur itself.
#pragma once

#include "core/models/direct_kernel.h"

#include <ATen/core/Tensor.h>

#include <functional>

namespace gs::models {

class StyledActivation;

// One plane of an image up-sampled as two by two phases: pixel (2m + a, 2q + b) at data[a · 2 + b][m · stride + q],
// m < rows, q < cols. Reads up to kPhaseGuard floats before a phase row's first column or after its last stay inside
// memory the planes' owner holds (what they read there is not used).
struct PhasePlanes {
  const float* data[4] = {};
  int64_t rows = 0, cols = 0, stride = 0;
};
constexpr int64_t kPhaseGuard = 32;
using PhaseSource = std::function<PhasePlanes(int64_t item)>;

// Whether phase_blur computes fir_direct's blur (up 1) of an image of `sizes` [n, c, 2 · rows, 2 · cols] given as
// phases: where fir_direct applies, with a separable kernel of 3 or 4 taps, one row and column of padding before (as
// upstream's up-sampling blur), fewer than the taps after, and output rows whose even and odd columns each fill whole
// 4-float vectors.
bool phase_blur_applies(at::IntArrayRef sizes, const at::Tensor& kernel, int64_t pad0, int64_t pad1);

// fir_direct(image, kernel, 1, pad0, pad1) of the image whose plane `item` (sample · channels + channel) source(item)
// gives as phases, then StyleGAN2's styled activation where there is one (stylegan2_kernels.h; for the blurred
// output's sizes). The blur runs along each row of the phases into an output row's even and odd columns, then down the
// columns, where the two are interleaved, activated and written.
at::Tensor phase_blur(const PhaseSource& source, at::IntArrayRef sizes, const at::TensorOptions& options,
                      const at::Tensor& kernel, int64_t pad0, int64_t pad1,
                      const StyledActivation* activation = nullptr);

} // namespace gs::models
