#include "app/gui/qt_log_sink.h"

#include <spdlog/pattern_formatter.h>

#include <QMetaObject>
#include <string_view>

namespace gs::gui {

namespace {

widgets::LogLevel to_pane_level(spdlog::level::level_enum level) {
  switch (level) {
  case spdlog::level::trace:
    return widgets::LogLevel::Trace;
  case spdlog::level::debug:
    return widgets::LogLevel::Debug;
  case spdlog::level::info:
    return widgets::LogLevel::Info;
  case spdlog::level::warn:
    return widgets::LogLevel::Warning;
  case spdlog::level::err:
    return widgets::LogLevel::Error;
  default:
    return widgets::LogLevel::Critical;
  }
}

// Loggers are named "ganstudio.<layer>"; in the pane the layer alone says enough.
constexpr std::string_view logger_prefix = "ganstudio.";

} // namespace

QtLogSink::QtLogSink(widgets::LogPane* pane) : pane_(pane) {
  // No end-of-line: each message becomes one entry of the pane.
  set_formatter(std::make_unique<spdlog::pattern_formatter>("%H:%M:%S.%e %-7l %-5n %v",
                                                            spdlog::pattern_time_type::local, std::string()));
}

void QtLogSink::detach() {
  std::lock_guard<std::mutex> lock(mutex_);
  pane_ = nullptr;
}

void QtLogSink::sink_it_(const spdlog::details::log_msg& msg) {
  if (!pane_) return;
  spdlog::details::log_msg shown = msg;
  const std::string_view name(msg.logger_name.data(), msg.logger_name.size());
  if (name.size() > logger_prefix.size() && name.compare(0, logger_prefix.size(), logger_prefix) == 0)
    shown.logger_name = spdlog::string_view_t(name.data() + logger_prefix.size(), name.size() - logger_prefix.size());

  spdlog::memory_buf_t buffer;
  formatter_->format(shown, buffer);
  const QString line = QString::fromUtf8(buffer.data(), static_cast<int>(buffer.size()));
  const widgets::LogLevel level = to_pane_level(msg.level);
  // Queued even on the GUI thread: a log call from inside a pane update must not re-enter it. If the pane is gone by
  // the time the call is delivered, Qt drops it (the pane is the call's context object).
  widgets::LogPane* pane = pane_;
  QMetaObject::invokeMethod(
      pane, [pane, level, line] { pane->append_line(level, line); }, Qt::QueuedConnection);
}

} // namespace gs::gui
