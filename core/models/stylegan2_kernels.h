// StyleGAN2's per-channel work computed directly on the CPU, for inference: FIR filtering, the 1 × 1 modulated
// convolution and the demodulation-noise-bias-activation chain. LibTorch runs the first two as a zero-inserting pad
// and a depthwise convolution and as a convolution into 3 channels, whose costs hardly shrink with a pruned
// generator's widths (the 32 px demo's 70% student spent a third of its time there), and the chain as six passes.
#pragma once

#include "core/models/direct_kernel.h"

#include <ATen/core/Tensor.h>

namespace gs::models {

// Whether fir_direct computes upfir2d(x, kernel, up, pad0, pad1): float32 CPU tensors, x [n, c, h, w], a square
// kernel of at most 8 × 8, up 1 or 2, pads at least 0, no gradients wanted, a non-empty output. The second form
// checks all but x, for an input of `sizes` that a PlaneSource writes.
bool fir_direct_applies(const at::Tensor& x, const at::Tensor& kernel, int64_t up, int64_t pad0, int64_t pad1);
bool fir_direct_applies(at::IntArrayRef sizes, const at::Tensor& kernel, int64_t up, int64_t pad0, int64_t pad1);

// upfirdn2d with down = 1, as upstream: zero-insertion up-sampling by `up`, zero padding (pad0 before, pad1 after, on
// both axes), then true convolution of every channel with `kernel`. Rows of the up-sampled image that are all zeros
// are skipped. `finish` then works on each output plane as it is written.
at::Tensor fir_direct(const at::Tensor& x, const at::Tensor& kernel, int64_t up, int64_t pad0, int64_t pad1,
                      const direct::PlaneFinish& finish = {});

// The taps fir_direct sums for `kernel` (kept while the kernel is unchanged, as derived_weight() keeps them): the
// flipped kernel's k² values, then, for a separable kernel (every entry col[i] · row[j] to float rounding), row[0..k)
// and col[0..k): k² + 2k values.
at::Tensor fir_taps_of(const at::Tensor& kernel);

// Writes input plane `item` (sample · channels + channel) into dst, its rows `row_stride` floats apart.
using PlaneSource = std::function<void(int64_t item, float* dst, int64_t row_stride)>;

// fir_direct with up = 1 of a float32 input of `sizes` that `source` writes a plane at a time straight into the padded
// plane the filter reads (a direct route's sums: transposed_direct.h's DirectSums), with no input tensor between.
at::Tensor fir_direct(const PlaneSource& source, at::IntArrayRef sizes, const at::TensorOptions& options,
                      const at::Tensor& kernel, int64_t pad0, int64_t pad1, const direct::PlaneFinish& finish = {});

// Whether modulated_pointwise applies: float32 CPU tensors x [b, in, h, w], weight [out, in], style [b, in], bias
// [out] and base [b, out, h, w] (each may be undefined), no gradients wanted.
bool modulated_pointwise_applies(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& style,
                                 const at::Tensor& bias = {}, const at::Tensor& base = {});

// out[b, o] = base[b, o] + bias[o] + Σ_i weight[o, i] · style[b, i] · x[b, i]: a 1 × 1 convolution of the modulated
// input (StyleGAN2's ToRGB, its bias and the up-sampled skip added as it is written), each sample's weights scaled
// once instead of every input pixel.
at::Tensor modulated_pointwise(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& style,
                               const at::Tensor& bias = {}, const at::Tensor& base = {});

// Whether linear_direct applies: float32 CPU tensors x [b, in], transposed [in, out], bias [out], no gradients wanted.
bool linear_direct_applies(const at::Tensor& x, const at::Tensor& transposed, const at::Tensor& bias);

// x · transposed + bias (transposed: a linear layer's weight, transposed), then with `activate` leaky_relu(·, 0.2) · √2
// (StyleGAN2's EqualLinear: the mapping network and every layer's style modulation), as plain loops: at::linear is
// about ten LibTorch operations (transpose, addmm, conjugation checks, …), which for the [16, 64] styles of a small
// generator cost more than the products.
at::Tensor linear_direct(const at::Tensor& x, const at::Tensor& transposed, const at::Tensor& bias, bool activate);

// Whether pixel_norm_direct applies: a float32 CPU tensor x [b, c], no gradients wanted.
bool pixel_norm_direct_applies(const at::Tensor& x);

// x · rsqrt(mean_c x² + 1e-8) per row (StyleGAN2's PixelNorm of the latents) in one pass instead of five operations.
at::Tensor pixel_norm_direct(const at::Tensor& x);

// Whether demodulation applies: float32 CPU tensors style [b, in] and sums [out, in], no gradients wanted.
bool demodulation_applies(const at::Tensor& style, const at::Tensor& sums);

// rsqrt(Σ_i style[b, i]² · sums[o, i] + 1e-8), [b, out]: StyleGAN2's demodulation coefficients (sums: the squared
// weights summed over the kernel taps) in one pass instead of four operations.
at::Tensor demodulation(const at::Tensor& style, const at::Tensor& sums);

// Whether styled_activation applies: float32 CPU tensors x [b, c, h, w] (contiguous), demod [b, c] or undefined,
// noise [1 or b, 1, h, w], noise_weight one value, bias [c]; no gradients wanted. The second form checks all but x,
// for an output of `sizes` still to be computed.
bool styled_activation_applies(const at::Tensor& x, const at::Tensor& demod, const at::Tensor& noise,
                               const at::Tensor& noise_weight, const at::Tensor& bias);
bool styled_activation_applies(at::IntArrayRef sizes, const at::Tensor& demod, const at::Tensor& noise,
                               const at::Tensor& noise_weight, const at::Tensor& bias);

// leaky_relu(x · demod[b, c] + noise_weight · noise + bias[c], 0.2) · √2, written over x (a layer's fresh output) in
// one pass: StyleGAN2's demodulation, noise injection and fused bias-activation.
at::Tensor styled_activation(at::Tensor x, const at::Tensor& demod, const at::Tensor& noise,
                             const at::Tensor& noise_weight, const at::Tensor& bias);

// The same on one output plane at a time, for a route to apply as it writes an output of `sizes` (where
// styled_activation_applies to them): the activation takes no pass of its own.
direct::PlaneFinish styled_activation_finish(at::IntArrayRef sizes, const at::Tensor& demod, const at::Tensor& noise,
                                             const at::Tensor& noise_weight, const at::Tensor& bias);

// styled_activation's values for one output plane: y = leaky_relu(y · scale + weight · noise + shift, 0.2) · √2, with
// the plane's noise laid out as the plane.
struct PlaneActivation {
  const float* noise = nullptr;
  float scale = 1.0f, weight = 0.0f, shift = 0.0f;
};

// styled_activation of an output of `sizes` (where styled_activation_applies), for a route that applies it to the
// vectors it is about to store (phase_blur) instead of in a pass over each written plane. Holds the tensors it reads.
class StyledActivation {
public:
  StyledActivation(at::IntArrayRef sizes, const at::Tensor& demod, const at::Tensor& noise,
                   const at::Tensor& noise_weight, const at::Tensor& bias);
  // Plane `item` (sample · channels + channel)'s values.
  PlaneActivation plane(int64_t item) const;
  int64_t positions() const { return positions_; }
  // The same as a finish (styled_activation_finish).
  direct::PlaneFinish finish() const;

private:
  at::Tensor demod_, noise_, bias_;
  const float *scales_ = nullptr, *noises_ = nullptr, *shifts_ = nullptr; // their data (scales_: null without demod)
  int64_t channels_ = 0, positions_ = 0;
  bool shared_noise_ = true;
  float weight_ = 0.0f;
};

// StyleGAN2's fused activation, v = leaky_relu(v, 0.2) · √2, on a float or a vector of them (an inline function in
// the caller's target; in place, since a vector return value draws GCC's ABI warning, -Wpsabi), as the larger of two
// products: one vmaxps per vector, where a select on v's sign took a compare and a blend. Loops over floats vectorise
// it only with -fno-trapping-math (core/CMakeLists.txt): without it the AVX2 build was scalar and branching, a fifth
// of a pruned student's time.
template <typename T> inline __attribute__((always_inline)) void leaky_gain(T& v) {
  constexpr float kSqrt2 = 1.41421356237309515f, kSlope = 0.2f * kSqrt2;
  const T rising = v * kSqrt2, falling = v * kSlope;
  v = rising > falling ? rising : falling;
}

// The activation on vector v of a plane already multiplied by its scale, whose noise at v's positions is at `noise`
// (built for the caller's vector width: an inline function in the caller's target).
template <typename V>
inline __attribute__((always_inline)) void activate_scaled(V& v, const PlaneActivation& a, const float* noise) {
  V n;
  direct::load(n, noise);
  v += a.weight * n + a.shift;
  leaky_gain(v);
}

} // namespace gs::models
