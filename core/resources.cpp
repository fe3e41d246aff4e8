#include "core/resources.h"

#include "ganstudio/version.h"

#include <cstdlib>
#include <filesystem>

namespace gs {

std::optional<std::string> find_resource(const std::string& relative) {
  std::vector<std::filesystem::path> roots;
  if (const char* env = std::getenv("GANSTUDIO_RESOURCES")) roots.emplace_back(env);
  // An installed program finds its data beside it (bin/../share/ganstudio) wherever the package put it.
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) roots.push_back(exe.parent_path().parent_path() / "share" / "ganstudio");
  roots.emplace_back(GANSTUDIO_INSTALLED_RESOURCES);
  roots.emplace_back(GANSTUDIO_SOURCE_RESOURCES);
  for (const auto& root : roots) {
    const auto path = root / relative;
    if (std::filesystem::is_regular_file(path, ec)) return path.string();
  }
  return std::nullopt;
}

} // namespace gs
