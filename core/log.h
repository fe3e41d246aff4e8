// Named spdlog loggers, one per layer ("io", "models", "train", ...), all writing to one shared set of sinks.
#pragma once
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace gs::log {

// The logger for a layer, created on first use. Everything logged goes to every sink added below.
std::shared_ptr<spdlog::logger> get(const std::string& layer);
void add_sink(const spdlog::sink_ptr& sink);
void remove_sink(const spdlog::sink_ptr& sink);
void set_level(spdlog::level::level_enum level);
// Logs to stderr (the CLI: only warnings unless verbose).
void log_to_stderr(spdlog::level::level_enum level);
// $XDG_STATE_HOME/ganstudio/ganstudio.log, else ~/.local/state/ganstudio/ganstudio.log.
std::string default_log_file();
// Appends to `path` (creating its folder); returns false with a warning on the other sinks when it cannot.
bool log_to_file(const std::string& path);

} // namespace gs::log
