// DCGAN generator and discriminator with the state_dict layout of pytorch/examples (dcgan/main.py): `main.N.*`.
#pragma once
#include "core/models/generator.h"
#include "core/models/registry.h"

namespace gs::models {

// Generator options (JSON, every key optional): nz (100), ngf (64), nc (3), size (64; 32 or any power of two >= 16),
// widths: group -> channels. Upstream is fixed at 64x64: main.0 (nz -> ngf*8, 4x4), main.3, main.6, main.9
// (stride-2 transposed convs, each followed by BatchNorm at +1 and ReLU at +2), main.12 (-> nc) and Tanh. Other sizes
// add or drop hidden layers at the low-resolution end, keeping the pattern: at 32x32 the layers are main.0 (nz ->
// ngf*4), main.3 (-> ngf*2), main.6 (-> ngf) and main.9 (-> nc). Groups are "main.0", "main.3", ... (hidden layers).
std::unique_ptr<Generator> make_dcgan_generator(const nlohmann::json& options);

// Discriminator options: nc (3), ndf (64), size (64), widths: "main.0", "main.2", "main.5", ... -> channels. Upstream
// at 64x64: main.0 conv nc -> ndf + LeakyReLU(0.2), main.2 / main.5 / main.8 conv + BatchNorm + LeakyReLU, main.11
// conv -> 1 (4x4 valid). The final Sigmoid is left out: forward() returns logits (BCE-with-logits is the stable
// equivalent); it has no parameters, so the state dict is upstream's.
std::unique_ptr<Discriminator> make_dcgan_discriminator(const nlohmann::json& options);

// Recognises a plain generator state dict as pytorch/examples saves it (netG_epoch_N.pth), widths from shapes.
ArchEntry dcgan_entry();

} // namespace gs::models
