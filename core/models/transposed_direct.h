// The direct route of transposed_conv(): a stride-2 transposed convolution whose phases read 2×2 input windows (4×4
// kernels: DCGAN's and pix2pix's; CycleGAN's 3×3), without gradients. Each phase is summed straight from the batch's
// zero-padded input planes in vector registers, a block of output channels at a time: no convolution of shared 3×3
// windows (2.25× the multiply-adds) and no vectors padded out along narrow channel counts, which is what made
// oneDNN slow on pruned students' 10–40 channels.
#pragma once

#include "core/models/direct_kernel.h"
#include "core/models/phase_blur.h"

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include <memory>
#include <vector>

namespace gs::models {

// Whether the direct route can compute m->forward(x): a plain layer (see transposed_route()) with 2 × 2 phases of
// 2 × 2 taps, no gradients wanted, and a CPU with AVX2 and FMA (cpu_has_avx2_fma() in core/runtime.h).
bool direct_applies(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

// Whether the direct route sums m->forward(x) with the samples innermost: planes narrower than a vector (8 floats with
// AVX2, 16 with AVX-512), a batch of whole vectors, and not an image's output layer summed four phases together (1–2
// channels with AVX2, 1–3 with AVX-512; such a layer does after an interleaved one in a DirectRun).
bool direct_interleaves(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

// One part of a layer's input along channels: x, each sample's channels first multiplied by `scale` [n, channels]
// where that is defined (StyleGAN2's modulation), then read as relu(norm(x)) with a batch norm in eval mode, as
// relu(x) with `relu` and no norm, as it is otherwise. The parts share batch, height, width, type and device.
struct InputPart {
  at::Tensor x;
  torch::nn::BatchNorm2dImpl* norm = nullptr;
  bool relu = false;
  at::Tensor scale{};
};

// A tensor with the shape (channels summed), type and device of the parts' concatenation, for the routes' checks
// (transposed_route, direct_applies) where the concatenation is never built: one part itself, or a stand-in that
// views one value of the first part at every position.
at::Tensor concatenated_shape(const std::vector<InputPart>& parts);

// m->forward(x) by the direct route; needs direct_applies. With norm_relu, m->forward(relu(norm_relu->forward(x))) for
// a batch norm in eval mode: the norm and ReLU are applied while the input is laid out for the route, in the same pass.
at::Tensor transposed_direct(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x,
                             torch::nn::BatchNorm2dImpl* norm_relu = nullptr, VectorWidth width = VectorWidth::Widest);

// m->forward(cat of the parts as they are read, along channels) by the direct route, each part laid out straight from
// its own tensor (no concatenation, scaling, norm or ReLU pass), `finish` applied to each output plane as it is
// written; needs direct_applies(m, concatenated_shape(parts)).
at::Tensor transposed_direct(torch::nn::ConvTranspose2dImpl& m, const std::vector<InputPart>& parts,
                             VectorWidth width = VectorWidth::Widest, const direct::PlaneFinish& finish = {});

// The direct route's sums before they are interleaved into the output, for a caller that moves the output on anyway
// (StyleGAN2's blur copies it into a padded plane): it takes them a plane at a time, with no output tensor between.
class DirectSums {
public:
  std::vector<int64_t> sizes() const; // the output's: [n, out, rows, cols]
  // Output plane `item` (sample · out + channel) into dst, its rows `row_stride` floats apart.
  void write_plane(int64_t item, float* dst, int64_t row_stride) const;
  // Output plane `item`'s phases where the route summed them (for phase_blur: no interleaving), with kPhaseGuard
  // floats of the route's own memory before and after every phase row.
  PhasePlanes phase_planes(int64_t item) const;
  // The whole output, as transposed_direct() gives it, `finish` applied to each plane as it is written.
  at::Tensor output(const direct::PlaneFinish& finish = {}) const;

  struct Data;
  explicit DirectSums(std::shared_ptr<const Data> data) : data_(std::move(data)) {}

private:
  std::shared_ptr<const Data> data_;
};

// transposed_direct() up to the sums; needs direct_applies(m, concatenated_shape(parts)).
DirectSums transposed_direct_sums(torch::nn::ConvTranspose2dImpl& m, const std::vector<InputPart>& parts,
                                  VectorWidth width = VectorWidth::Widest);

// transposed_direct() through a run of layers, each reading the one before through a batch norm in eval mode and a
// ReLU (DCGAN's hidden layers). Where a layer's sums are interleaved (direct_interleaves), the next layer's input
// planes are laid out straight from them, the norm and ReLU applied as they are: no output tensor between the two
// and no pass that reads one. An image's output layer after such a layer (phases summed together) then sums
// interleaved too where its planes are at most a vector wide, in a batch of 1, 2 or 4 vectors: its input needs no
// transposes, only its few output channels do.
class DirectRun {
public:
  // Sums m's input; needs direct_applies(m, concatenated_shape(parts)).
  DirectRun(torch::nn::ConvTranspose2dImpl& m, const std::vector<InputPart>& parts,
            VectorWidth width = VectorWidth::Widest);
  ~DirectRun();
  // A stand-in of the last layer's output for the routes' checks: its sizes, type and device, one value viewed at every
  // position (nothing computed).
  at::Tensor shape() const;
  // Sums m(relu(norm(the last layer's output))) instead; needs direct_applies(m, shape()) and a norm for which
  // applies_as_affine holds.
  void next(torch::nn::ConvTranspose2dImpl& m, torch::nn::BatchNorm2dImpl& norm);
  // The last layer's output, `finish` applied to each plane as it is written.
  at::Tensor output(const direct::PlaneFinish& finish = {}) const;

private:
  struct State;
  std::unique_ptr<State> s_;
};

} // namespace gs::models
