// Exporting a generator as a TorchScript archive that Python's torch.jit.load and LibTorch run without this project.
#pragma once
#include "core/models/generator.h"

namespace gs::models {

// Writes `path` atomically: every state_dict tensor of `g` (dots in names turned into underscores) and the
// architecture's TorchScript forward. Throws ModelError for an architecture without an export.
void export_torchscript(Generator& g, const std::string& path);

} // namespace gs::models
