// The pix2pix U-Net generator of pytorch-CycleGAN-and-pix2pix (UnetGenerator), names `model.model.1.model.3...`.
#pragma once
#include "core/models/generator.h"
#include "core/models/registry.h"

namespace gs::models {

// Options: input_nc (3), output_nc (3), num_downs (8 = unet_256, 7 = unet_128; at least 5), ngf (64), norm ("batch",
// "instance", "none"), use_dropout (false), load_size (2^num_downs: the input size it is run at), widths:
//   "down.K" the K-th down-sampling conv's outputs (K = 0 outermost ... num_downs-1 innermost), which also travel
//            through the skip concatenation to the K-th up-sampling conv;
//   "up.K"   (K >= 1) the K-th up-sampling conv's outputs, concatenated after the skip at level K-1.
// Upstream applies the down-path LeakyReLU in place, so the skip carries LeakyReLU(x); so does this.
// Generation runs in eval mode (running statistics, no dropout); upstream's test.py does that only with --eval.
std::unique_ptr<Generator> make_unet_generator(const nlohmann::json& options);

// Recognises UnetGenerator state dicts (latest_net_G.pth), or {"netG", "netD"}; the discriminator is a PatchGAN
// seeing input and output concatenated.
ArchEntry pix2pix_entry();

} // namespace gs::models
