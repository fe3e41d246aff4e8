// The CycleGAN ResNet generator of pytorch-CycleGAN-and-pix2pix (ResnetGenerator), names `model.N.*`.
#pragma once
#include "core/models/generator.h"
#include "core/models/registry.h"

namespace gs::models {

// Options: input_nc (3), output_nc (3), ngf (64), norm ("instance"; also batch, none), use_dropout (false), n_blocks
// (9; 6 for 128px in upstream's recipes), load_size (256), widths:
//   "stem" (model.1: 7x7 conv, ngf), "down.0" (model.4, 2*ngf), "trunk" (model.7 and every residual block's output:
//   one tied group, 4*ngf), "blocks.B" (block B's inner channels), "up.0" (first transposed conv, 2*ngf), "up.1" (ngf).
// Padding is reflection, as upstream's default.
std::unique_ptr<Generator> make_resnet_generator(const nlohmann::json& options);

// Recognises ResnetGenerator state dicts (latest_net_G_A.pth), or {"netG", "netD"} with a PatchGAN discriminator.
ArchEntry cyclegan_entry();

} // namespace gs::models
