// An spdlog sink that hands formatted lines to the log pane. Loggers are called from any thread; the pane is only
// touched on the GUI thread, through queued calls.
#pragma once
#include "widgets/log_pane.h"

#include <spdlog/sinks/base_sink.h>

#include <mutex>

namespace gs::gui {

class QtLogSink : public spdlog::sinks::base_sink<std::mutex> {
public:
  // Must be created on the GUI thread, where `pane` lives.
  explicit QtLogSink(widgets::LogPane* pane);

  // Stops forwarding; call before the pane is destroyed (the sink itself may outlive it inside spdlog).
  void detach();

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

private:
  widgets::LogPane* pane_; // guarded by base_sink::mutex_
};

} // namespace gs::gui
