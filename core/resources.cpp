#include "core/resources.h"

#include "ganstudio/version.h"

#include <cstdlib>
#include <filesystem>

namespace gs {

std::optional<std::string> find_resource(const std::string& relative) {
  std::vector<std::filesystem::path> roots;
  if (const char* env = std::getenv("GANSTUDIO_RESOURCES")) roots.emplace_back(env);
  roots.emplace_back(GANSTUDIO_INSTALLED_RESOURCES);
  roots.emplace_back(GANSTUDIO_SOURCE_RESOURCES);
  for (const auto& root : roots) {
    std::error_code ec;
    const auto path = root / relative;
    if (std::filesystem::is_regular_file(path, ec)) return path.string();
  }
  return std::nullopt;
}

} // namespace gs
