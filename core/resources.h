// Finding bundled files (demo models, the built-in feature extractor) wherever the program runs from.
#pragma once
#include <optional>
#include <string>

namespace gs {

// `relative` (e.g. "extractors/builtin-fashion-mnist.pt") under $GANSTUDIO_RESOURCES, the installed share directory,
// or the source tree this binary was built from; nullopt when none has it.
std::optional<std::string> find_resource(const std::string& relative);

} // namespace gs
