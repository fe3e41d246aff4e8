// Which architecture a checkpoint holds, building the matching modules, and loading/saving whole models.
#pragma once
#include "core/io/value.h"
#include "core/models/generator.h"
#include "core/models/state_loading.h"

#include <functional>

namespace gs::models {

// A generator with, when the checkpoint has one, its discriminator.
struct Model {
  Arch arch = Arch::DCGAN;
  std::unique_ptr<Generator> generator;
  std::unique_ptr<Discriminator> discriminator; // null when the checkpoint holds none
  std::string generator_source;                 // where the generator's tensors came from: "g_ema", "" (root)
  std::vector<std::string> notes;               // what loading changed that the user should know
};

struct Recognised {
  nlohmann::json generator_options; // as Generator::options(), widths included
  std::string generator_prefix;     // "" when the tensors sit at the root
  std::optional<nlohmann::json> discriminator_options;
  std::string discriminator_prefix;
};

// What one architecture contributes to the registry.
struct ArchEntry {
  Arch arch;
  // Keys a combined checkpoint written by save_model() stores the two state dicts under.
  std::string generator_key, discriminator_key;
  // Looks at every tensor of a checkpoint (dotted names, as flatten_tensors gives) and the root value (for records
  // such as StyleGAN2's argparse `args`); nullopt when the checkpoint is not this architecture. Widths come from
  // tensor shapes, so models already narrowed by pruning are recognised too.
  std::function<std::optional<Recognised>(const TensorMap& tensors, const io::Value* root)> recognise;
  std::function<std::unique_ptr<Generator>(const nlohmann::json& options)> build_generator;
  std::function<std::unique_ptr<Discriminator>(const nlohmann::json& options)> build_discriminator;
  // Optional: adjusts a state dict before strict loading (e.g. drops instance-norm running statistics that older
  // checkpoints carry), appending a note for each change.
  std::function<void(TensorMap& tensors, std::vector<std::string>& notes)> patch_state;
};

// For recognisers of state-dict layouts: a generator state dict at the root, or {"netG": ..., "netD": ...} as training
// scripts save both. `generator` reads options from generator tensors (nullopt: not this architecture);
// `discriminator` reads options from the "netD" tensors, knowing the generator's.
using GeneratorProbe = std::function<std::optional<nlohmann::json>(const TensorMap& tensors)>;
using DiscriminatorProbe =
    std::function<std::optional<nlohmann::json>(const TensorMap& tensors, const nlohmann::json& generator_options)>;
std::optional<Recognised> recognise_state_dicts(const TensorMap& tensors, const GeneratorProbe& generator,
                                                const DiscriminatorProbe& discriminator);

const std::vector<ArchEntry>& architectures();
const ArchEntry& architecture(Arch arch);

// What the discriminator of `arch` sees for a generator's `output` on `input`: pix2pix's is conditional on the input
// (the two concatenated along channels), the others see the output alone.
at::Tensor discriminator_input(Arch arch, const at::Tensor& input, const at::Tensor& output);

// Loads any checkpoint file load_checkpoint reads; throws ModelError when no architecture matches (saying what the
// file looks like) or when tensors are missing, unexpected or mis-shaped (naming each).
Model load_model(const std::string& path);
Model load_model(const io::Value* root, const std::string& what);

// Fresh, randomly initialised modules.
Model build_model(Arch arch, const nlohmann::json& generator_options,
                  const std::optional<nlohmann::json>& discriminator_options = std::nullopt);

// A torch.load-able file: {"ganstudio": {"format", "arch", "generator_options", "discriminator_options"} (options as
// JSON text), <generator_key>: state_dict, <discriminator_key>: state_dict}. Written atomically.
void save_model(const std::string& path, const Model& model);

} // namespace gs::models
