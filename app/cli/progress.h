// Terminal progress for long CLI commands: a redrawn line with rate and ETA on a terminal, periodic lines otherwise.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace gs::cli {

class Progress {
public:
  Progress(std::string what, int64_t total);
  // Cheap to call every step: redraws at most a few times per second.
  void update(int64_t done, const std::string& detail = {});
  void finish();
  // A stage whose length was an estimate: more steps than expected, or fewer (finish() then shows the steps done).
  void set_total(int64_t total) { total_ = total; }
  int64_t total() const { return total_; }
  // Clears the redrawn line so that a message can be printed; the next update() draws it again.
  void clear_line();

private:
  using Clock = std::chrono::steady_clock;
  void draw(int64_t done, const std::string& detail, bool last);
  std::string what_;
  int64_t total_;
  bool tty_;
  Clock::time_point start_, last_draw_;
  bool finished_ = false;
};

// Installs SIGINT/SIGTERM handlers that set the returned flag, for long commands to stop cleanly at the next step.
const std::atomic<bool>* interrupt_flag();

// "1:05:03", "4:07": how durations are shown.
std::string format_duration(double seconds);

} // namespace gs::cli
