// The PatchGAN discriminator of pytorch-CycleGAN-and-pix2pix (NLayerDiscriminator), names `model.N.*`.
#pragma once
#include "core/models/generator.h"
#include "core/models/state_loading.h"

namespace gs::models {

// Options: input_nc (3; pix2pix sees input and output concatenated: 6), ndf (64), n_layers (3), norm ("batch").
std::unique_ptr<Discriminator> make_patchgan(const nlohmann::json& options);

// Options of a PatchGAN state dict (tensors without prefix), or nullopt when it is not one.
std::optional<nlohmann::json> recognise_patchgan(const TensorMap& tensors);

} // namespace gs::models
