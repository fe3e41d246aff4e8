// Reading a JSON file the user or a run wrote, with errors that name the file.
#pragma once
#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace gs::io {

// Parses `path` and hands it to `convert`; a missing file, invalid JSON or a std::invalid_argument from `convert`
// becomes a std::runtime_error "<path>: <reason>", `what` naming the kind of file ("config", "scores file").
template <typename T>
T read_json_file(const std::string& path, const char* what, const std::function<T(const nlohmann::json&)>& convert);

nlohmann::json parse_json_file(const std::string& path, const char* what);

template <typename T>
T read_json_file(const std::string& path, const char* what, const std::function<T(const nlohmann::json&)>& convert) {
  const nlohmann::json j = parse_json_file(path, what);
  try {
    return convert(j);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

} // namespace gs::io
