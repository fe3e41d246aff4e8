// Progress lines go to stderr so stdout stays clean for results (and --json).
#include "app/cli/progress.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>

namespace gs::cli {
namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) {
  g_interrupted = true;
}

} // namespace

const std::atomic<bool>* interrupt_flag() {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  return &g_interrupted;
}

std::string format_duration(double seconds) {
  const long s = seconds < 0 ? 0 : static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

Progress::Progress(std::string what, int64_t total)
    : what_(std::move(what)), total_(total), tty_(isatty(STDERR_FILENO) != 0), start_(Clock::now()),
      last_draw_(start_) {}

void Progress::update(int64_t done, const std::string& detail) {
  const auto now = Clock::now();
  const auto interval = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
  if (now - last_draw_ < interval || done >= total_) return; // the final line is finish()'s
  last_draw_ = now;
  draw(done, detail, false);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  draw(total_, {}, true);
}

void Progress::clear_line() {
  if (tty_) std::cerr << "\r\033[K" << std::flush;
  last_draw_ = Clock::time_point{};
}

void Progress::draw(int64_t done, const std::string& detail, bool last) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const double frac = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  std::string line = what_ + " " + std::to_string(done) + "/" + std::to_string(total_);
  char pct[16];
  std::snprintf(pct, sizeof pct, " %3.0f%%", frac * 100);
  line += pct;
  line += " " + format_duration(elapsed);
  if (!last && done > 0 && done < total_) line += " ETA " + format_duration(elapsed / frac - elapsed);
  if (!detail.empty()) line += "  " + detail;
  // One write per line, so that other processes' messages on the same stderr cannot land inside it.
  if (tty_)
    std::cerr << "\r\033[K" + line + (last ? "\n" : "") << std::flush;
  else
    std::cerr << line + "\n";
}

} // namespace gs::cli
