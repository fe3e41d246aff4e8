// SSD (Spectral Style-DCGAN): a DCGAN-shaped generator steered by AdaIN from a small shared mapping network, and a
// discriminator with spectrally normalised convolutions. There is no upstream module code; names are ours.
#pragma once
#include "core/models/generator.h"
#include "core/models/registry.h"

namespace gs::models {

// Generator options (JSON, every key optional): z_dim (100), ngf (64), nc (3), size (64; any power of two >= 16),
// widths: group -> channels.
// State dict names:
//   mapping.weight/bias        the one Linear(z_dim, z_dim) applied 4 times, LeakyReLU(0.2) between (z is first
//                              L2-normalised)
//   const                      the learned input [1, C, 1, 1] (group "const", default C = z_dim)
//   convs.N.weight             transposed convs: convs.0 k4 s1 p0 to 4x4, then k4 s2 p1 doubling; hidden widths
//                              ngf*8, *4, *2, *1 at 64x64 (groups "convs.N"); the last one, convs.L (-> nc, with
//                              bias), is followed by Tanh
//   style_scales.N, style_biases.N   per hidden layer Linear(z_dim, C) heads: AdaIN = InstanceNorm (no affine), then
//                              scale(w) * x + bias(w) (no +1), then ReLU
std::unique_ptr<Generator> make_ssd_generator(const nlohmann::json& options);

// Discriminator options: nc (3), ndf (64), size (64), widths: group -> channels ("main.0", then "sn_convs.N";
// default ndf doubling). main.0 conv nc -> ndf (k4 s2 p1) + LeakyReLU(0.2); then
// sn_convs.N (spectral norm with torch.nn.utils.spectral_norm's names weight_orig / weight_u / weight_v, one power
// iteration per training forward) each with bns.N BatchNorm + LeakyReLU, doubling widths; final.weight/bias conv
// -> 1 (k4 valid). forward() returns logits (the sigmoid is left to BCE-with-logits).
std::unique_ptr<Discriminator> make_ssd_discriminator(const nlohmann::json& options);

ArchEntry ssd_entry();

} // namespace gs::models
