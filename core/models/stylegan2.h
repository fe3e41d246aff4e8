// StyleGAN2 generator and discriminator with the state_dict layout of rosinality/stylegan2-pytorch (model.py).
#pragma once
#include "core/models/generator.h"
#include "core/models/registry.h"

namespace gs::models {

// Generator options (JSON, every key optional):
//   size (256, a power of two >= 8), style_dim (512), n_mlp (8), channel_multiplier (2), blur_kernel ([1,3,3,1]),
//   lr_mlp (0.01); blur_kernel is the FIR filter of the up-sampling StyledConvs (as upstream, the ToRGB skip
//   up-sampling keeps [1,3,3,1]),
//   widths: channel group -> width; groups are "input" (the constant), "conv1" and "convs.N" (each StyledConv's
//     outputs). Missing groups take upstream's table: 512 up to 32x32, then 16384 * channel_multiplier / resolution.
//   fan_in: group -> the width the equalised-learning-rate scale of the layers reading that group is computed from.
//     Defaults to `widths`, which is what upstream computes. with_widths() keeps the unpruned values so a sliced
//     model computes exactly what the masked one does; this matters for the ToRGB layers, whose convolutions are not
//     demodulated (elsewhere demodulation cancels the scale).
//
// forward() maps z through the mapping network and uses the one style for every layer (no style mixing).
// Truncation pulls the style towards the mean of style(z) over 4096 z = torch.randn(4096, style_dim,
// generator=torch.Generator().manual_seed(0)), which Python reproduces exactly (upstream's mean_latent draws from the
// global generator instead, so its mean is not reproducible). Deterministic mode uses the noises.noise_N buffers.
std::unique_ptr<Generator> make_stylegan2_generator(const nlohmann::json& options);

// Discriminator options: size (256), channel_multiplier (2), blur_kernel ([1,3,3,1]), widths: resolution ("4", "8",
// ..., "<size>") -> channels of the features at that resolution (defaults as the generator's table).
std::unique_ptr<Discriminator> make_stylegan2_discriminator(const nlohmann::json& options);

// The registry entry: recognises upstream training checkpoints ({"g", "g_ema", "d", "args"}, preferring g_ema) and
// bare generator state dicts, inferring every width from tensor shapes.
ArchEntry stylegan2_entry();

} // namespace gs::models
