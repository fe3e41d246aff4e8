#include "core/log.h"

#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace gs::log {
namespace {

std::shared_ptr<spdlog::sinks::dist_sink_mt> shared_sinks() {
  static auto sinks = std::make_shared<spdlog::sinks::dist_sink_mt>();
  return sinks;
}

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

} // namespace

std::shared_ptr<spdlog::logger> get(const std::string& layer) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto name = "ganstudio." + layer;
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, shared_sinks());
  logger->set_level(spdlog::level::trace); // sinks decide what they show
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  return logger;
}

void add_sink(const spdlog::sink_ptr& sink) {
  shared_sinks()->add_sink(sink);
}
void remove_sink(const spdlog::sink_ptr& sink) {
  shared_sinks()->remove_sink(sink);
}
void set_level(spdlog::level::level_enum level) {
  shared_sinks()->set_level(level);
}

void log_to_stderr(spdlog::level::level_enum level) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  sink->set_level(level);
  sink->set_pattern("%^%l%$: %v");
  add_sink(sink);
}

std::string default_log_file() {
  namespace fs = std::filesystem;
  fs::path base;
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    base = fs::path(home) / ".local" / "state";
  } else {
    base = fs::temp_directory_path();
  }
  return (base / "ganstudio" / "ganstudio.log").string();
}

bool log_to_file(const std::string& path) {
  try {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    // Rotated at 5 MiB, three files kept, so a long-lived installation never fills the disk with logs.
    auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(path, 5 * 1024 * 1024, 3);
    sink->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v");
    add_sink(sink);
    return true;
  } catch (const std::exception& e) {
    get("app")->warn("cannot write log file {}: {}", path, e.what());
    return false;
  }
}

} // namespace gs::log
