// The phase route of transposed_conv(): a strided transposed convolution as one ordinary convolution whose output
// channels are the output phases, interleaved afterwards.
#pragma once

#include <torch/nn/modules/conv.h>

namespace gs::models {

// One axis of a stride-s layer. Output position o = s·j − p + k of input j and tap k, so output phase a (positions
// s·m + a) reads inputs m + d for offsets d with 0 <= a + p − s·d < kernel, through tap a + p − s·d. All phases share
// one convolution over offsets first .. first + width − 1 + span: phase a's taps sit at window positions
// t = d − d0(a), zero beyond its own, and its output starts `shift` = d0(a) − first rows into the shared output.
struct PhaseAxis {
  int64_t width = 0, first = 0, span = 0;
  std::vector<int64_t> shift;
  std::vector<std::vector<int64_t>> taps; // per phase, by window position
};
PhaseAxis phase_axis(int64_t kernel, int64_t stride, int64_t pad);

// The phases' kernels from the layer's weight [in, out, kh, kw]. Convolution: [s_h·s_w·out, in, width_h, width_w],
// zero where a phase has fewer taps than the window, phase (a, b) giving output channels (a·s_w + b)·out + o (the
// shared convolution's kernel). ByTap (the direct route's): phase after phase, each [in, taps, out] over only its own
// taps, window row i < |rows.taps[a]| by column j < |cols.taps[b]|, in direct::block_weights' layout for `lanes`
// vector lanes, flat. Kept while the weight is unchanged (derived_weight.h).
enum class KernelLayout { Convolution, ByTap };
at::Tensor phase_kernel(const at::Tensor& weight, const PhaseAxis& rows, const PhaseAxis& cols, KernelLayout layout,
                        int64_t lanes = 0);

// The layer's output size along spatial axis `axis` (0: rows, 1: columns) for input x.
int64_t transposed_output_size(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x, int axis);

// Whether every output phase has taps and the same size: the output size is a multiple of the stride, the kernel at
// least as large as the stride and the padding smaller than the kernel.
bool phases_fit(const torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

// m->forward(x) by phases, with gradients; needs phases_fit (and the plain layer of transposed_route()).
at::Tensor transposed_by_phases(torch::nn::ConvTranspose2dImpl& m, const at::Tensor& x);

} // namespace gs::models
